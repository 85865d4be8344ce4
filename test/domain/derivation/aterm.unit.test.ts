import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type Derivation,
  DerivationError,
  parseDerivation,
  printDerivation,
} from '../../../domain/derivation/index.ts';
import { drvFiles, drvName } from './fixtures.ts';

const decoder = new TextDecoder();

const roundTrip = suite('ATerm round trip');

roundTrip('prints every .drv written by nix-instantiate back to the same bytes', () => {
  assert.ok(drvFiles.size >= 3);
  for (const [base, bytes] of drvFiles) {
    assert.is(printDerivation(parseDerivation(bytes, drvName(base))), decoder.decode(bytes), base);
  }
});

const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const safe = fc.stringMatching(/^[a-z0-9+._-]{1,10}$/);
const storePath = safe.map((name) => `/nix/store/00000000000000000000000000000000-${name}`);
const derivation: fc.Arbitrary<Derivation> = fc.record({
  name: safe,
  outputs: fc
    .uniqueArray(safe, { minLength: 1, maxLength: 3 })
    .chain((ids) =>
      fc.tuple(...ids.map((id) => storePath.map((path) => [id, { path, hashAlgo: '', hash: '' }] as const))),
    )
    .map((entries) => new Map(entries)),
  inputDrvs: fc
    .uniqueArray(fc.tuple(storePath, fc.uniqueArray(safe, { maxLength: 3 })), {
      selector: ([p]) => p,
      maxLength: 3,
    })
    .map((e) => new Map(e)),
  inputSrcs: fc.uniqueArray(storePath, { maxLength: 3 }),
  system: safe,
  builder: text,
  args: fc.array(text, { maxLength: 4 }),
  env: fc.uniqueArray(fc.tuple(text, text), { selector: ([k]) => k, maxLength: 5 }).map((e) => new Map(e)),
});

roundTrip('parse(print(d)) prints the same text for any derivation, escapes included', () => {
  fc.assert(
    fc.property(derivation, (drv) => {
      const printed = printDerivation(drv);
      assert.is(printDerivation(parseDerivation(printed, drv.name)), printed);
    }),
  );
});

roundTrip('escapes quotes, backslashes, newlines, returns and tabs as Nix does', () => {
  const drv = parseDerivation(
    'Derive([("out","/nix/store/x-a","","")],[],[],"s","b\\\\",["\\"\\n\\r\\t"],[])',
    'a',
  );
  assert.is(drv.builder, 'b\\');
  assert.equal(drv.args, ['"\n\r\t']);
  assert.match(printDerivation(drv), '["\\"\\n\\r\\t"]');
});

roundTrip('sorts outputs, inputs and env by bytes when printing', () => {
  const drv = parseDerivation(
    'Derive([("b","","",""),("a","","","")],[],["/z","/a"],"s","b",[],[("é",""),("z","")])',
    'a',
  );
  assert.is(
    printDerivation(drv),
    'Derive([("a","","",""),("b","","","")],[],["/a","/z"],"s","b",[],[("z",""),("é","")])',
  );
});

const errors = suite('ATerm parse errors');

function parseError(input: string | Uint8Array): DerivationError {
  try {
    parseDerivation(input, 'x');
  } catch (error) {
    assert.instance(error, DerivationError);
    assert.is((error as DerivationError).code, 'TALLY_DRV_PARSE');
    return error as DerivationError;
  }
  throw new Error('expected a parse error');
}

errors('give the byte offset of the problem', () => {
  assert.is(parseError('Derive([("out"]').offset, 14);
  assert.is(parseError('Derivx').offset, 5);
  assert.is(parseError('Derive([],[],[],"s","b",[],[])junk').offset, 30);
  assert.is(parseError('Derive([],[],["relative"],"s","b",[],[])').offset, 14);
});

errors('refuse duplicate keys, stray commas and invalid UTF-8', () => {
  parseError('Derive([("a","","",""),("a","","","")],[],[],"s","b",[],[])');
  parseError('Derive([,("a","","","")],[],[],"s","b",[],[])');
  parseError('Derive([("a","","","")],[],[],"s","b",[],[("k","1"),("k","2")])');
  parseError(Uint8Array.from([...new TextEncoder().encode('Derive([],[],[],"'), 0xff, 0x22]));
});

errors('every truncation of a real .drv is a typed parse error', () => {
  const bytes = [...drvFiles.values()][0]!;
  for (let cut = 0; cut < bytes.length; cut++) parseError(bytes.subarray(0, cut));
});

errors('random bytes and mutations never throw anything but a parse error', () => {
  const seed = new TextEncoder().encode(printDerivation(parseDerivation([...drvFiles.values()][0]!, 'x')));
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 200 }),
      fc.nat(seed.length - 1),
      fc.integer({ min: 0, max: 255 }),
      (random, at, byte) => {
        for (const input of [random, Uint8Array.from(seed, (b, i) => (i === at ? byte : b))]) {
          try {
            parseDerivation(input, 'x');
          } catch (error) {
            assert.is((error as DerivationError).code, 'TALLY_DRV_PARSE');
          }
        }
      },
    ),
  );
});

roundTrip.run();
errors.run();
