import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  compareNixStrings,
  compressHash,
  fromBase64,
  fromHex,
  fromNix32,
  hashBytes,
  nix32Length,
  parseHash,
  printHash,
  printSri,
  toBase64,
  toHex,
  toNix32,
} from '../../../domain/derivation/index.ts';

const nix32 = suite('Nix base-32');

// Vectors printed by `nix-hash --to-base32` (Nix 2.8).
const vectors = [
  [
    'sha256',
    'e3b0c44298fc1c149afbf4d9216fa2cdd029bd4797773189fe25899004e03896',
    '15iqw0291295zs4k2xwp8yyjkl6dl9pj3nglzfd1877wk11c9c73',
  ],
  [
    'sha256',
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    '1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s',
  ],
  ['sha1', 'a9993e364706816aba3e25717850c26c9cd0d89d', 'kpcd173cq987hw957sx6m0868wv3x6d9'],
  ['md5', '900150983cd24fb0d6963f7d28e17f72', '3jgzhjhz9zjvbb0kyj7jc500ch'],
] as const;

nix32('prints digests exactly as nix-hash --to-base32 does', () => {
  for (const [, hex, expected] of vectors) assert.is(toNix32(fromHex(hex)!), expected);
});

nix32('reads them back', () => {
  for (const [, hex, text] of vectors) assert.is(toHex(fromNix32(text, hex.length / 2)!), hex);
});

nix32('round-trips any bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 70 }), (bytes) => {
      const text = toNix32(bytes);
      assert.is(text.length, nix32Length(bytes.length));
      assert.equal(fromNix32(text, bytes.length), bytes);
    }),
  );
});

nix32('refuses letters outside its alphabet, wrong lengths and bits past the last byte', () => {
  const good = vectors[0][2];
  assert.is(fromNix32(`e${good.slice(1)}`, 32), undefined);
  assert.is(fromNix32(good.slice(1), 32), undefined);
  assert.is(fromNix32(`z${good.slice(1)}`, 32), undefined);
});

const hashes = suite('hashes');

hashes('parse from base-16, Nix base-32, base-64 and SRI, prefixed or not', () => {
  const expected = hashBytes('sha256', 'abc');
  for (const text of [
    `sha256:${printHash(expected, 'base16', false)}`,
    printHash(expected, 'nix32', true),
    printHash(expected, 'base64', true),
    printSri(expected),
  ]) {
    assert.equal(parseHash(text).digest, expected.digest, text);
  }
  assert.equal(parseHash(printHash(expected, 'nix32', false), 'sha256').digest, expected.digest);
});

hashes('are refused with TALLY_HASH_INVALID when malformed', () => {
  for (const text of ['sha256:abc', 'sha257:00', 'nohash', 'sha256-AAAA', `md5:${'0'.repeat(64)}`]) {
    assert.throws(
      () => parseHash(text),
      (error: Error & { code?: string }) => error.code === 'TALLY_HASH_INVALID',
    );
  }
});

hashes('compress by folding with XOR', () => {
  const digest = Uint8Array.from({ length: 32 }, (_, i) => i);
  const folded = compressHash(digest, 20);
  assert.is(folded[0], 0 ^ 20);
  assert.is(folded[11], 11 ^ 31);
  assert.is(folded[12], 12);
});

const bytes = suite('byte helpers');

bytes('base-64 is strict and round-trips', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), (data) => assert.equal(fromBase64(toBase64(data)), data)),
  );
  assert.is(fromBase64('QQ'), undefined);
  assert.is(fromBase64('QR=='), undefined);
  assert.is(fromBase64('Q Q=='), undefined);
});

bytes('orders strings by UTF-8 bytes, not UTF-16 units', () => {
  const encoder = new TextEncoder();
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
      const x = encoder.encode(a);
      const y = encoder.encode(b);
      const byBytes = Buffer.compare(Buffer.from(x), Buffer.from(y));
      assert.is(Math.sign(compareNixStrings(a, b)), byBytes);
    }),
  );
  assert.ok(compareNixStrings('\uFB01', '\u{1F600}') < 0);
});

nix32.run();
hashes.run();
bytes.run();
