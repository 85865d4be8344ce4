/**
 * The real `tally` executable: `nar dump`, `nar hash`, `drv show` and `keys generate`, each a separate
 * process; `nar dump` compared byte for byte with `nix-store --dump` where nix is installed.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  parseDerivation,
  parseHash,
  parsePublicKey,
  parseSecretKey,
  pathFingerprint,
  printPublicKey,
  verifyDetached,
} from '../../domain/derivation/index.ts';
import { fixture, fixtureDir } from '../domain/derivation/fixtures.ts';
import { hasNix, nixTest, reportSkipped } from '../domain/derivation/nix.ts';
import { startTally, tally } from '../helpers/tally-process.ts';
import { tempDir, withTimeout } from '../helpers/uvu.ts';

interface Context {
  dir: string;
  tree: string;
  cleanup: () => Promise<void>;
}

/** Runs tally and keeps stdout as bytes. */
function tallyBytes(args: string[]): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  const child = startTally(args);
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr })),
  );
}

const cli = suite<Context>('tally nar, drv and keys');

cli.before(async (context) => {
  const dir = await tempDir('tally-cli-drv-');
  context.dir = dir.path;
  context.cleanup = dir.cleanup;
  context.tree = join(dir.path, 'tree');
  mkdirSync(join(context.tree, 'empty'), { recursive: true });
  writeFileSync(join(context.tree, 'big'), Buffer.alloc(3_000_001, 1));
  writeFileSync(join(context.tree, 'exe'), '#!/bin/sh\n');
  chmodSync(join(context.tree, 'exe'), 0o755);
  symlinkSync('big', join(context.tree, 'link'));
  for (const name of ['B', 'a', 'é', '😀']) writeFileSync(join(context.tree, name), name);
});

cli.after(async (context) => context.cleanup?.());

nixTest(
  cli,
  'nar dump writes what nix-store --dump writes',
  withTimeout(60_000, async ({ tree }) => {
    const result = await tallyBytes(['nar', 'dump', tree]);
    assert.is(result.code, 0, result.stderr);
    assert.ok(result.stdout.equals(execFileSync('nix-store', ['--dump', tree], { maxBuffer: 1 << 26 })));
  }),
);

nixTest(
  cli,
  'nar hash prints what nix-hash prints, prefixed sha256:',
  withTimeout(60_000, async ({ tree }) => {
    const result = await tally(['nar', 'hash', tree]);
    const expected = execFileSync('nix-hash', ['--type', 'sha256', '--base32', tree]).toString().trim();
    assert.is(result.stdout.trim(), `sha256:${expected}`);
  }),
);

cli(
  'nar dump and nar hash agree on size, and a missing path is a TALLY_ error',
  withTimeout(60_000, async ({ tree, dir }) => {
    const dump = await tallyBytes(['nar', 'dump', tree]);
    const hash = await tally(['nar', 'hash', '--size', tree]);
    assert.is(hash.stdout.trim().split(' ')[1], String(dump.stdout.length));
    const missing = await tally(['nar', 'hash', join(dir, 'nope')]);
    assert.is(missing.code, 1);
    assert.match(missing.stderr, 'TALLY_STORE_NOT_FOUND');
  }),
);

cli(
  'nar dump refuses a tree holding a file a NAR cannot hold',
  withTimeout(60_000, async ({ dir }) => {
    const odd = join(dir, 'odd');
    mkdirSync(odd);
    execFileSync('mkfifo', [join(odd, 'pipe')]);
    const result = await tallyBytes(['nar', 'dump', odd]);
    assert.is(result.code, 1);
    assert.match(result.stderr, 'TALLY_STORE_UNSUPPORTED_FILE');
  }),
);

cli(
  'drv show prints a .drv as JSON',
  withTimeout(60_000, async () => {
    const { path, bytes } = fixture('dep');
    const file = join(fixtureDir, path.slice('/nix/store/'.length));
    const result = await tally(['drv', 'show', file]);
    assert.is(result.code, 0, result.stderr);
    const shown = JSON.parse(result.stdout)[file];
    const drv = parseDerivation(bytes, 'dep');
    assert.equal(shown.outputs.dev, { path: drv.outputs.get('dev')!.path });
    assert.is(shown.env.outputs, 'out dev');
    assert.equal(shown.args, drv.args);
  }),
);

cli(
  'drv show gives a parse error with its offset for a broken .drv',
  withTimeout(60_000, async ({ dir }) => {
    const broken = join(dir, 'broken.drv');
    writeFileSync(broken, 'Derive([("out"');
    const result = await tally(['drv', 'show', broken]);
    assert.is(result.code, 1);
    assert.match(result.stderr, /TALLY_DRV_PARSE/);
    assert.match(result.stderr, /at byte 14/);
  }),
);

cli(
  'keys generate writes a key pair in Nix format, the secret 0600, and never overwrites',
  withTimeout(60_000, async ({ dir }) => {
    const result = await tally(['keys', 'generate', 'cache.test-1', '--dir', dir]);
    assert.is(result.code, 0, result.stderr);
    const secret = parseSecretKey(readFileSync(join(dir, 'cache.test-1.secret'), 'utf8'));
    const publicKey = parsePublicKey(readFileSync(join(dir, 'cache.test-1.public'), 'utf8'));
    assert.is(printPublicKey(secret.publicKey), printPublicKey(publicKey));
    assert.is(statSync(join(dir, 'cache.test-1.secret')).mode & 0o777, 0o600);
    const before = readFileSync(join(dir, 'cache.test-1.secret'), 'utf8');
    const again = await tally(['keys', 'generate', 'cache.test-1', '--dir', dir]);
    assert.is(again.code, 1);
    assert.match(again.stderr, 'TALLY_STORE_FILE_EXISTS');
    assert.is(readFileSync(join(dir, 'cache.test-1.secret'), 'utf8'), before);
    if (hasNix) {
      // nix signs with the secret key tally wrote, and the signature verifies with tally's public key.
      writeFileSync(join(dir, 'signed.txt'), `signed ${dir}`);
      const path = execFileSync('nix-store', ['--add', join(dir, 'signed.txt')])
        .toString()
        .trim();
      const env = { ...process.env, NIX_CONFIG: 'experimental-features = nix-command' };
      execFileSync('nix', ['store', 'sign', '--key-file', join(dir, 'cache.test-1.secret'), path], { env });
      const [info] = JSON.parse(
        execFileSync('nix', ['path-info', '--json', '--sigs', path], { env }).toString(),
      );
      const signature = (info.signatures as string[]).find((sig) => sig.startsWith('cache.test-1:'))!;
      const fingerprint = pathFingerprint(path, parseHash(info.narHash), info.narSize, info.references);
      assert.ok(verifyDetached(fingerprint, signature, [publicKey]));
    }
  }),
);

cli.run();
reportSkipped();
