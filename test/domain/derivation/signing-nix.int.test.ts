import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hashPath } from '../../../adapters/store/nar-fs.ts';
import {
  makeSourcePath,
  narInfoFingerprint,
  parseNarInfo,
  parsePublicKey,
  parseSecretKey,
  pathFingerprint,
  printHash,
  printNarInfo,
  printPublicKey,
  printSecretKey,
  signDetached,
  verifyDetached,
} from '../../../domain/derivation/index.ts';
import { tempDir } from '../../helpers/uvu.ts';
import { nix, nixTest, reportSkipped } from './nix.ts';

interface Context {
  dir: string;
  cleanup: () => Promise<void>;
}

interface PathInfo {
  path: string;
  narHash: string;
  narSize: number;
  references: string[];
  signatures?: string[];
}

const signing = suite<Context>('keys, signatures and narinfo against nix');

signing.before(async (context) => {
  const dir = await tempDir('tally-sign-nix-');
  context.dir = dir.path;
  context.cleanup = dir.cleanup;
  nix('nix-store', [
    '--generate-binary-cache-key',
    'tally-test-1',
    join(dir.path, 'sk'),
    join(dir.path, 'pk'),
  ]);
  writeFileSync(join(dir.path, 'payload.txt'), `signed payload ${dir.path}\n`);
});

signing.after(async (context) => context.cleanup?.());

nixTest(
  signing,
  'reads secret keys made by nix-store --generate-binary-cache-key, and derives its public key',
  ({ dir }) => {
    const secretText = readFileSync(join(dir, 'sk'), 'utf8');
    const secret = parseSecretKey(secretText);
    assert.is(printSecretKey(secret), secretText.trim());
    assert.is(printPublicKey(secret.publicKey), readFileSync(join(dir, 'pk'), 'utf8').trim());
  },
);

nixTest(
  signing,
  'signs a store path exactly as nix store sign does, and verifies its signature',
  async ({ dir }) => {
    const source = join(dir, 'payload.txt');
    const path = nix('nix-store', ['--add', source]).toString().trim();
    assert.is(path, makeSourcePath('payload.txt', (await hashPath(source)).hash));
    nix('nix', ['store', 'sign', '--key-file', join(dir, 'sk'), path]);
    const [info] = JSON.parse(nix('nix', ['path-info', '--json', '--sigs', path]).toString()) as PathInfo[];
    const secret = parseSecretKey(readFileSync(join(dir, 'sk'), 'utf8'));
    const digest = await hashPath(source);
    assert.is(info!.narSize, digest.size);
    const fingerprint = pathFingerprint(path, digest.hash, digest.size, info!.references);
    const theirs = info!.signatures!.find((sig) => sig.startsWith('tally-test-1:'))!;
    assert.is(signDetached(secret, fingerprint), theirs);
    assert.ok(verifyDetached(fingerprint, theirs, [parsePublicKey(readFileSync(join(dir, 'pk'), 'utf8'))]));
  },
);

nixTest(
  signing,
  'reads and prints the narinfo nix copy writes, and verifies its signature',
  async ({ dir }) => {
    const source = join(dir, 'payload.txt');
    const path = nix('nix-store', ['--add', source]).toString().trim();
    nix('nix', ['store', 'sign', '--key-file', join(dir, 'sk'), path]);
    const cache = join(dir, 'cache');
    nix('nix', ['copy', '--to', `file://${cache}?compression=none`, path]);
    const file = readdirSync(cache).find((name) => name.endsWith('.narinfo'))!;
    const text = readFileSync(join(cache, file), 'utf8');
    const info = parseNarInfo(text);
    assert.is(printNarInfo(info), text);
    assert.is(
      printHash(info.narHash, 'nix32', true),
      printHash((await hashPath(source)).hash, 'nix32', true),
    );
    const publicKey = parsePublicKey(readFileSync(join(dir, 'pk'), 'utf8'));
    const signature = info.sigs.find((sig) => sig.startsWith('tally-test-1:'));
    assert.ok(signature, 'nix copy kept the signature');
    assert.ok(verifyDetached(narInfoFingerprint(info), signature!, [publicKey]));
    const nar = readFileSync(join(cache, info.url));
    assert.is(nar.length, info.narSize);
  },
);

signing.run();
reportSkipped();
