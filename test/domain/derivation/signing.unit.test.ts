import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  fromHex,
  hashBytes,
  narInfoFingerprint,
  parseHash,
  parseNarInfo,
  parsePublicKey,
  parseSecretKey,
  pathFingerprint,
  printNarInfo,
  printPublicKey,
  printSecretKey,
  secretKeyFromSeed,
  signDetached,
  toBase64,
  verifyDetached,
} from '../../../domain/derivation/index.ts';

const isKeyError = (error: Error & { code?: string }) => error.code === 'TALLY_KEY_INVALID';

// RFC 8032, section 7.1, test 1.
const rfcSeed = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60')!;
const rfcPublic = fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')!;
const rfcSignature = fromHex(
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
)!;

const keys = suite('ed25519 keys in Nix format');

keys('derive the RFC 8032 public key and signature from its seed', () => {
  const key = secretKeyFromSeed('test-1', rfcSeed);
  assert.equal(key.publicKey.key, rfcPublic);
  assert.is(signDetached(key, new Uint8Array(0)), `test-1:${toBase64(rfcSignature)}`);
});

keys('print and parse secret keys as name:base64(seed ‖ public), public keys as name:base64', () => {
  const key = secretKeyFromSeed('cache.example.org-1', rfcSeed);
  const secret = printSecretKey(key);
  assert.is(secret, `cache.example.org-1:${toBase64(new Uint8Array([...rfcSeed, ...rfcPublic]))}`);
  assert.equal(parseSecretKey(`${secret}\n`), key);
  assert.equal(parsePublicKey(printPublicKey(key.publicKey)), key.publicKey);
});

keys('refuse malformed keys with TALLY_KEY_INVALID', () => {
  const secret = printSecretKey(secretKeyFromSeed('k', rfcSeed));
  for (const text of ['k', ':AAAA', 'k:notbase64!', `k:${toBase64(new Uint8Array(63))}`]) {
    assert.throws(() => parseSecretKey(text), isKeyError, text);
  }
  const mismatched = `k:${toBase64(new Uint8Array([...rfcSeed, ...new Uint8Array(32)]))}`;
  assert.throws(() => parseSecretKey(mismatched), isKeyError);
  assert.throws(() => parsePublicKey(secret), isKeyError);
  assert.throws(() => secretKeyFromSeed('k', new Uint8Array(31)), isKeyError);
  assert.throws(() => secretKeyFromSeed('a:b', rfcSeed), isKeyError);
});

keys('verify only signatures by a key of the same name over the same data', () => {
  const key = secretKeyFromSeed('k', rfcSeed);
  const other = secretKeyFromSeed('k', new Uint8Array(32).fill(7));
  const signature = signDetached(key, 'data');
  assert.ok(verifyDetached('data', signature, [key.publicKey]));
  assert.not.ok(verifyDetached('datb', signature, [key.publicKey]));
  assert.not.ok(verifyDetached('data', signature, [other.publicKey]));
  assert.not.ok(verifyDetached('data', signature, [{ ...key.publicKey, name: 'j' }]));
  assert.not.ok(verifyDetached('data', 'k:garbage', [key.publicKey]));
  assert.not.ok(verifyDetached('data', 'nocolon', [key.publicKey]));
});

const fingerprints = suite('path fingerprints');

const path = '/nix/store/ihdwy5k1i80r3gggim39pday2v3vbpna-file';
const ref = '/nix/store/v19z4iv6f9wswbzcr070r4ajljgsaxdb-fod';

fingerprints('read 1;path;sha256:nix32;size;sorted refs', () => {
  const narHash = parseHash('sha256:04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw');
  assert.is(
    pathFingerprint(path, narHash, 120, [ref, path]),
    `1;${path};sha256:04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw;120;${path},${ref}`,
  );
  assert.throws(() => pathFingerprint(path, narHash, 0, []), isKeyError);
});

const narinfo = suite('narinfo');

const sample = [
  `StorePath: ${path}`,
  'URL: nar/1w1fff338fvdw53sqgamddn1b2xgds473pv6y13gizdbqjv4i5p3.nar.xz',
  'Compression: xz',
  'FileHash: sha256:1w1fff338fvdw53sqgamddn1b2xgds473pv6y13gizdbqjv4i5p3',
  'FileSize: 68',
  'NarHash: sha256:04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw',
  'NarSize: 120',
  'References: v19z4iv6f9wswbzcr070r4ajljgsaxdb-fod',
  'Deriver: k5xgbqw1rlqvfq21baaq9l2cgb8i91ic-fod.drv',
  '',
].join('\n');

narinfo('parses and prints back the same text', () => {
  const info = parseNarInfo(sample);
  assert.is(info.narSize, 120);
  assert.equal(info.references, ['v19z4iv6f9wswbzcr070r4ajljgsaxdb-fod']);
  assert.is(printNarInfo(info), sample);
});

narinfo('signs and verifies through the fingerprint', () => {
  const key = secretKeyFromSeed('k', rfcSeed);
  const info = parseNarInfo(sample);
  const signed = { ...info, sigs: [signDetached(key, narInfoFingerprint(info))] };
  const reread = parseNarInfo(printNarInfo(signed));
  assert.ok(verifyDetached(narInfoFingerprint(reread), reread.sigs[0]!, [key.publicKey]));
});

narinfo('refuses missing fields and bad values with TALLY_NARINFO_INVALID', () => {
  const isCorrupt = (error: Error & { code?: string }) => error.code === 'TALLY_NARINFO_INVALID';
  const without = (key: string) => sample.replace(new RegExp(`^${key}: .*\\n`, 'm'), '');
  for (const key of ['StorePath', 'URL', 'NarHash', 'NarSize'])
    assert.throws(() => parseNarInfo(without(key)), isCorrupt, key);
  assert.throws(() => parseNarInfo(sample.replace('NarSize: 120', 'NarSize: 12x')), isCorrupt);
  assert.throws(() => parseNarInfo(sample.replace('NarHash: sha256:0', 'NarHash: sha256:')), isCorrupt);
  assert.throws(() => parseNarInfo(sample.replace('References: v', 'References: /v')), isCorrupt);
  assert.throws(() => parseNarInfo(sample.trimEnd()), isCorrupt);
  assert.throws(() => parseNarInfo(sample.replace(`StorePath: ${path}`, 'StorePath: /tmp/x')), isCorrupt);
  assert.is(parseNarInfo(without('Compression')).compression, 'bzip2');
  assert.ok(hashBytes);
});

keys.run();
fingerprints.run();
narinfo.run();
