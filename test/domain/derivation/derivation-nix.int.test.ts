import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hashPath } from '../../../adapters/store/nar-fs.ts';
import {
  type Derivation,
  defaultStoreDir,
  derivationPath,
  hashBytes,
  instantiateDerivation,
  makeSourcePath,
  makeTextPath,
  parseDerivation,
  printDerivation,
  storePathBaseName,
} from '../../../domain/derivation/index.ts';
import { tempDir } from '../../helpers/uvu.ts';
import { nix, nixEnv, nixTest, reportSkipped } from './nix.ts';

/** Each expression is instantiated by the real nix; every .drv it writes is then checked. */
const expressions: Record<string, string> = {
  minimal: 'derivation { name = "minimal"; system = "x86_64-linux"; builder = "/bin/sh"; }',
  escapes: String.raw`derivation { name = "escapes"; system = "x86_64-linux"; builder = "/bin/sh";
    args = [ "-c" "echo \"quoted\" \\ back\n\ttab\r" "" "ünïcødé 名前 😀" ];
    weird = "a=b;c\"d\\e\nf"; empty = ""; list = [ "x" "y" 1 2 ]; flag = true; nothing = null; }`,
  source:
    'derivation { name = "source"; system = "x86_64-linux"; builder = "/bin/sh"; src = ./input.txt; dir = ./tree; }',
  multiOutput: `derivation { name = "multi"; system = "x86_64-linux"; builder = "/bin/sh";
    outputs = [ "out" "dev" "lib" "doc" ]; }`,
  fixedRecursive: `derivation { name = "fixed-rec"; system = "x86_64-linux"; builder = "/bin/sh";
    outputHashMode = "recursive"; outputHashAlgo = "sha256";
    outputHash = "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s"; }`,
  fixedFlat: `derivation { name = "fixed-flat.tar.gz"; system = "x86_64-linux"; builder = "/bin/sh";
    outputHash = "sha256-47DEQpj8HBSa+/TZIW+izdApvUeXdzGJ/iWJkATgOJY="; }`,
  fixedSha1: `derivation { name = "fixed-sha1"; system = "x86_64-linux"; builder = "/bin/sh";
    outputHashAlgo = "sha1"; outputHash = "a9993e364706816aba3e25717850c26c9cd0d89d"; }`,
  fixedMd5Recursive: `derivation { name = "fixed-md5"; system = "x86_64-linux"; builder = "/bin/sh";
    outputHashMode = "recursive"; outputHashAlgo = "md5"; outputHash = "900150983cd24fb0d6963f7d28e17f72"; }`,
  withInputs: `let
      multi = import ./multi.nix;
      fetched = derivation { name = "src.tar"; system = "x86_64-linux"; builder = "/bin/sh";
        outputHash = "sha256-47DEQpj8HBSa+/TZIW+izdApvUeXdzGJ/iWJkATgOJY="; };
      mid = derivation { name = "mid"; system = "x86_64-linux"; builder = "/bin/sh";
        args = [ "\${multi.dev}" "\${multi.lib}" "\${fetched}" ]; outputs = [ "out" "bin" ]; };
      script = builtins.toFile "script.sh" "echo \${./input.txt}";
    in derivation { name = "top"; system = "aarch64-linux"; builder = "\${mid.bin}/bin/sh";
      args = [ script ]; deps = [ mid multi fetched ]; }`,
};

interface Context {
  dir: string;
  cleanup: () => Promise<void>;
}

const drvs = suite<Context>('derivations against nix-instantiate');

drvs.before(async (context) => {
  const dir = await tempDir('tally-drv-nix-');
  context.dir = dir.path;
  context.cleanup = dir.cleanup;
  writeFileSync(join(dir.path, 'input.txt'), 'hello\n');
  nix('mkdir', ['-p', join(dir.path, 'tree/sub')]);
  writeFileSync(join(dir.path, 'tree/sub/file'), 'in a tree');
  writeFileSync(join(dir.path, 'multi.nix'), expressions.multiOutput!);
  for (const [name, text] of Object.entries(expressions)) writeFileSync(join(dir.path, `${name}.nix`), text);
});

drvs.after(async (context) => context.cleanup?.());

function instantiate(dir: string, name: string, env = nixEnv): string {
  return nix('nix-instantiate', [join(dir, `${name}.nix`)], env)
    .toString()
    .trim();
}

/** The .drv at `path` and, recursively, every input derivation it names. */
function closure(path: string): Map<string, Uint8Array> {
  const seen = new Map<string, Uint8Array>();
  const visit = (drvPath: string) => {
    if (seen.has(drvPath)) return;
    const bytes = new Uint8Array(readFileSync(drvPath));
    seen.set(drvPath, bytes);
    for (const input of read(drvPath, bytes).inputDrvs.keys()) visit(input);
  };
  visit(path);
  return seen;
}

function read(path: string, bytes: Uint8Array = new Uint8Array(readFileSync(path))): Derivation {
  return parseDerivation(bytes, storePathBaseName(path).slice(33, -4));
}

const reader = (path: string) => read(path);

for (const name of Object.keys(expressions)) {
  nixTest(drvs, `${name}: same bytes, same .drv path, same output paths`, ({ dir }) => {
    const top = instantiate(dir, name);
    for (const [path, bytes] of closure(top)) {
      const drv = read(path, bytes);
      assert.is(printDerivation(drv), new TextDecoder().decode(bytes), `${path} round trip`);
      assert.is(derivationPath(drv).path, path, `${path} path`);
      const outputs = new Set(drv.outputs.keys());
      const again = instantiateDerivation(
        {
          env: new Map([...drv.env].filter(([key]) => !outputs.has(key))),
          args: drv.args,
          inputDrvs: drv.inputDrvs,
          inputSrcs: drv.inputSrcs,
        },
        { readDerivation: reader },
      );
      assert.is(again.drvPath, path, `${path} instantiated`);
      assert.equal(again.drv.env, drv.env);
    }
  });
}

nixTest(drvs, 'local sources become the source paths nix computes from their NAR hash', async ({ dir }) => {
  const drv = read(instantiate(dir, 'source'));
  const file = makeSourcePath('input.txt', (await hashPath(join(dir, 'input.txt'))).hash);
  const tree = makeSourcePath('tree', (await hashPath(join(dir, 'tree'))).hash);
  assert.equal([...drv.inputSrcs].sort(), [file, tree].sort());
  assert.is(drv.env.get('src'), file);
});

nixTest(drvs, 'builtins.toFile becomes a text path with its references', async ({ dir }) => {
  const drv = read(instantiate(dir, 'withInputs'));
  const input = makeSourcePath('input.txt', (await hashPath(join(dir, 'input.txt'))).hash);
  const script = makeTextPath('script.sh', hashBytes('sha256', `echo ${input}`), [input]);
  assert.ok(drv.inputSrcs.includes(script), `${script} in ${drv.inputSrcs.join(' ')}`);
});

nixTest(drvs, 'another store directory (NIX_STORE_DIR) gives the same paths as nix', ({ dir }) => {
  const storeDir = join(dir, 'other-store');
  const env = { ...nixEnv, NIX_STORE_DIR: storeDir };
  const top = instantiate(dir, 'withInputs', env);
  assert.ok(top.startsWith(`${storeDir}/`));
  const readOther = (path: string) => read(path);
  for (const [path, bytes] of closure(top)) {
    const drv = read(path, bytes);
    assert.is(derivationPath(drv, storeDir).path, path);
    assert.is.not(derivationPath(drv, defaultStoreDir).path, path);
    const outputs = new Set(drv.outputs.keys());
    const again = instantiateDerivation(
      {
        env: new Map([...drv.env].filter(([key]) => !outputs.has(key))),
        args: drv.args,
        inputDrvs: drv.inputDrvs,
        inputSrcs: drv.inputSrcs,
      },
      { readDerivation: readOther, storeDir },
    );
    assert.is(again.drvPath, path);
  }
});

drvs.run();
reportSkipped();
