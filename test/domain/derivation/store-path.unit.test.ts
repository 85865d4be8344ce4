import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  checkStorePathName,
  hashBytes,
  makeFixedOutputPath,
  makeSourcePath,
  makeTextPath,
  parseHash,
  parseStorePath,
} from '../../../domain/derivation/index.ts';

const isInvalid = (error: Error & { code?: string }) => error.code === 'TALLY_STORE_PATH_INVALID';

const names = suite('store path names');

names('accept what Nix accepts', () => {
  for (const name of ['hello-2.12', 'a', 'x+y_z?=.', '.hidden', '..a', 'a'.repeat(211)])
    checkStorePathName(name);
});

names('refuse what Nix refuses, with TALLY_STORE_PATH_INVALID', () => {
  for (const name of ['', 'a'.repeat(212), 'with space', 'é', 'a/b', '.', '..', '.-x', '..-x']) {
    assert.throws(() => checkStorePathName(name), isInvalid, JSON.stringify(name));
  }
});

const parsing = suite('parsing store paths');

parsing('splits a valid path into hash and name', () => {
  assert.equal(parseStorePath('/nix/store/ihdwy5k1i80r3gggim39pday2v3vbpna-file'), {
    storeDir: '/nix/store',
    hashPart: 'ihdwy5k1i80r3gggim39pday2v3vbpna',
    name: 'file',
  });
  assert.is(parseStorePath('/tmp/s/ihdwy5k1i80r3gggim39pday2v3vbpna-f', '/tmp/s').name, 'f');
});

parsing('refuses paths outside the store, nested paths, bad hashes and short paths', () => {
  for (const path of [
    '/tmp/ihdwy5k1i80r3gggim39pday2v3vbpna-file',
    '/nix/store/ihdwy5k1i80r3gggim39pday2v3vbpna-file/bin',
    '/nix/store/ihdwy5k1i80r3gggim39pday2v3vbpne-file',
    '/nix/store/ihdwy5k1i80r3gggim39pday2v3vbpn-file',
    '/nix/store/ihdwy5k1i80r3gggim39pday2v3vbpna_file',
  ]) {
    assert.throws(() => parseStorePath(path), isInvalid, path);
  }
});

const making = suite('making store paths');

making('gives a source path equal to nix-store --add of a file holding "hello\\n"', () => {
  // nix-hash --type sha256 of that file's NAR; the path printed by nix-store --add (Nix 2.8).
  const narHash = parseHash('sha256:04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw');
  assert.is(makeSourcePath('file', narHash), '/nix/store/ihdwy5k1i80r3gggim39pday2v3vbpna-file');
});

making('gives fixed-output paths: recursive sha256 as source, flat or other algorithms as output:out', () => {
  const empty = parseHash('sha256-47DEQpj8HBSa+/TZIW+izdApvUeXdzGJ/iWJkATgOJY=');
  assert.is(
    makeFixedOutputPath('recursive', empty, 'fod'),
    '/nix/store/v19z4iv6f9wswbzcr070r4ajljgsaxdb-fod',
  );
  assert.not.equal(makeFixedOutputPath('flat', empty, 'fod'), makeFixedOutputPath('recursive', empty, 'fod'));
  assert.throws(
    () =>
      makeFixedOutputPath('flat', empty, 'x', '/nix/store', [
        '/nix/store/ihdwy5k1i80r3gggim39pday2v3vbpna-file',
      ]),
    isInvalid,
  );
});

making('puts the references of a text path in its type, sorted', () => {
  const hash = hashBytes('sha256', 'x');
  const a = '/nix/store/ihdwy5k1i80r3gggim39pday2v3vbpna-file';
  const b = '/nix/store/v19z4iv6f9wswbzcr070r4ajljgsaxdb-fod';
  assert.is(makeTextPath('t', hash, [b, a]), makeTextPath('t', hash, [a, b]));
  assert.not.equal(makeTextPath('t', hash, [a]), makeTextPath('t', hash, []));
});

making('takes the store directory into the hash', () => {
  const hash = hashBytes('sha256', 'x');
  assert.match(makeTextPath('t', hash, [], '/tmp/store'), /^\/tmp\/store\/[0-9a-z]{32}-t$/);
  assert.not.equal(
    makeTextPath('t', hash, [], '/tmp/store').slice(-34),
    makeTextPath('t', hash, []).slice(-34),
  );
  assert.throws(() => makeTextPath('t', hash, [], 'relative'), isInvalid);
  assert.throws(() => makeTextPath('t', hash, [], '/trailing/'), isInvalid);
});

names.run();
parsing.run();
making.run();
