/**
 * The native and the nix builder on the same derivations under /nix/store: the nix builder is the
 * reference. Each derivation carries a nonce so every run builds fresh paths. The env dump filters
 * the variables that must differ between the two: the build directory (NIX_BUILD_TOP, TMPDIR,
 * TEMPDIR, TMP, TEMP, PWD: nix picks /tmp/nix-build-<name>-N, we pick our own) and NIX_BUILD_CORES
 * (nix's `cores` setting against ours), and the build directory inside values (`bigPath` of
 * `passAsFile`) is replaced by @BUILD_TOP@; everything else must be byte for byte the same.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { BuildRequest, BuiltOutput } from '../../../adapters/builders/builder.ts';
import { createNativeBuilder } from '../../../adapters/builders/native/native-builder.ts';
import { removeTree } from '../../../adapters/builders/native/remove-tree.ts';
import { createNixBuilder } from '../../../adapters/builders/nix/nix-builder.ts';
import { type Derivation, hashBytes, printHash } from '../../../domain/derivation/index.ts';
import { nix, nixEnv, nixTest, reportSkipped } from '../../domain/derivation/nix.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';
import { generousLimits, readDrv } from './derivations.ts';

const envFilter = "'^(NIX_BUILD_TOP|TMPDIR|TEMPDIR|TMP|TEMP|PWD|NIX_BUILD_CORES)='";
const helloHash = printHash(hashBytes('sha256', 'hello\n'), 'nix32', true);

/** Jobs in build order; each an attribute of the expression. */
const expression = (nonce: string) => `
let
  mk = name: attrs: derivation ({ inherit name nonce; system = "x86_64-linux"; builder = "/bin/sh"; } // attrs);
  nonce = "${nonce}";
in rec {
  greeting = mk "greeting" { args = [ "-c" "echo hello > $out" ]; };
  user = mk "user" { dep = greeting; args = [ "-c" "/bin/mkdir $out; echo $dep > $out/dep; echo $out > $out/self; /bin/ln -s $dep $out/link" ]; };
  multi = mk "multi" { outputs = [ "out" "dev" ]; dep = user; args = [ "-c" "echo $dev > $out; echo $dep > $dev; /bin/chmod +x $dev" ]; };
  env = mk "env" { custom = "a \\"b\\" c"; passAsFile = [ "big" ]; big = "lots"; args = [ "-c" "/usr/bin/env | /bin/sed s,$NIX_BUILD_TOP,@BUILD_TOP@, | /bin/grep -v -E ${envFilter} | /usr/bin/sort > $out" ]; };
  fixed = derivation { name = "fixed"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo hello > $out" ]; outputHash = "${helloHash}"; };
}`;

const order = ['greeting', 'user', 'multi', 'env', 'fixed'];

interface Context {
  dir: string;
  drvs: Map<string, { path: string; drv: Derivation }>;
  cleanup: () => Promise<void>;
}

const same = suite<Context>('the native and the nix builder agree');

same.before(async (context) => {
  const dir = await tempDir('tally-builders-nix-');
  context.dir = dir.path;
  context.cleanup = dir.cleanup;
  context.drvs = new Map();
});
same.after(async (context) => context.cleanup?.());

function instantiate(
  dir: string,
  text: string,
  attrs: string[],
): Map<string, { path: string; drv: Derivation }> {
  const file = join(dir, `${randomUUID()}.nix`);
  writeFileSync(file, text);
  const drvs = new Map<string, { path: string; drv: Derivation }>();
  for (const attr of attrs) {
    const path = nix('nix-instantiate', [file, '-A', attr], nixEnv).toString().trim();
    drvs.set(attr, { path, drv: readDrv(path, new Uint8Array(readFileSync(path))) });
  }
  return drvs;
}

const request = (path: string, drv: Derivation, extra: Partial<BuildRequest> = {}): BuildRequest => ({
  drvPath: path,
  drv,
  storeDir: '/nix/store',
  limits: generousLimits,
  ...extra,
});

nixTest(
  same,
  'same output paths, NAR hashes, sizes and references, an env dump included',
  withTimeout(120_000, async ({ dir }) => {
    const drvs = instantiate(dir, expression(randomUUID()), order);
    const native = new Map<string, readonly BuiltOutput[]>();
    for (const name of order) {
      const { path, drv } = drvs.get(name)!;
      const result = await createNativeBuilder().build(request(path, drv));
      assert.ok(result.ok, `${name}: ${JSON.stringify(result)}`);
      if (result.ok) native.set(name, result.outputs);
    }
    const envDump = readFileSync(native.get('env')![0]!.path, 'utf8');
    assert.match(envDump, /^bigPath=@BUILD_TOP@\/.attr-/m);
    assert.match(envDump, /^NIX_LOG_FD=2$/m);
    // Nix must build them itself: the native outputs are not registered in its database.
    for (const outputs of native.values()) for (const output of outputs) await removeTree(output.path);
    for (const name of order) {
      const { path, drv } = drvs.get(name)!;
      const result = await createNixBuilder().build(request(path, drv));
      assert.ok(result.ok, `${name}: ${JSON.stringify(result)}`);
      if (result.ok) assert.equal(result.outputs, native.get(name), name);
    }
    assert.is(readFileSync(native.get('env')![0]!.path, 'utf8'), envDump);
  }),
);

same.run();
reportSkipped();
