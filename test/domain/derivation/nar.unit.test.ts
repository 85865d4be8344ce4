import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  concatBytes,
  createNarParser,
  DerivationError,
  encodeLength,
  encodeString,
  hashNarEvents,
  type NarEvent,
  narBytes,
  parseNarBytes,
  printNarHash,
} from '../../../domain/derivation/index.ts';

const bytes = (text: string) => new TextEncoder().encode(text);
const file = (path: string[], text: string, executable = false): NarEvent[] => [
  { type: 'file', path, executable, size: bytes(text).length },
  ...(text === '' ? [] : [{ type: 'contents' as const, path, chunk: bytes(text) }]),
];
const sampleTree: NarEvent[] = [
  { type: 'directory', path: [] },
  ...file(['a'], 'hello'),
  { type: 'directory', path: ['d'] },
  { type: 'directory-end', path: ['d'] },
  ...file(['x'], '#!/bin/sh\n', true),
  { type: 'symlink', path: ['z'], target: 'a' },
  { type: 'directory-end', path: [] },
];
const tokens = (...values: string[]) => concatBytes(values.map((value) => encodeString(value)));

/** Parses, merging contents chunks so trees compare regardless of how the bytes were split. */
function parseMerged(chunks: Uint8Array[]): NarEvent[] {
  const parser = createNarParser();
  const events = chunks.flatMap((chunk) => parser.push(chunk));
  parser.end();
  const merged: NarEvent[] = [];
  for (const event of events) {
    const last = merged[merged.length - 1];
    if (event.type === 'contents' && last?.type === 'contents') {
      merged[merged.length - 1] = { ...last, chunk: concatBytes([last.chunk, event.chunk]) };
    } else merged.push(event.type === 'contents' ? { ...event, chunk: event.chunk.slice() } : event);
  }
  return merged;
}

const format = suite('NAR format');

format('writes a single file exactly as Nix does', () => {
  const expected = concatBytes([
    tokens('nix-archive-1', '(', 'type', 'regular', 'contents'),
    encodeLength(3),
    bytes('abc'),
    new Uint8Array(5),
    tokens(')'),
  ]);
  assert.equal(narBytes(file([], 'abc')), expected);
});

format('pads file contents of 0, 1, 7, 8 and 9 bytes to 8', () => {
  for (const size of [0, 1, 7, 8, 9]) {
    const nar = narBytes(file([], 'x'.repeat(size)));
    assert.is(nar.length % 8, 0);
    assert.is(nar.length, 24 + 16 * 4 + 8 + Math.ceil(size / 8) * 8 + 16);
  }
});

format('round-trips a tree through the parser, whatever the chunking', () => {
  const nar = narBytes(sampleTree);
  assert.equal(parseMerged([nar]), sampleTree);
  for (let cut = 0; cut <= nar.length; cut++) {
    assert.equal(parseMerged([nar.subarray(0, cut), nar.subarray(cut)]), sampleTree);
  }
  assert.equal(parseMerged([...nar].map((byte) => Uint8Array.of(byte))), sampleTree);
});

format('hashes as sha256:<nix32> of the serialization', async () => {
  const { hash, size } = await hashNarEvents(sampleTree);
  assert.is(size, narBytes(sampleTree).length);
  assert.match(printNarHash(hash), /^sha256:[0-9a-z]{52}$/);
});

const nameArb = fc.stringMatching(/^[a-zA-Z0-9é_.-]{1,6}$/).filter((n) => n !== '.' && n !== '..');
const treeArb: fc.Arbitrary<NarEvent[]> = fc
  .array(fc.tuple(nameArb, fc.oneof(fc.constant('dir'), fc.string({ maxLength: 20 }), fc.constant('link'))), {
    maxLength: 6,
  })
  .map((entries) => {
    const seen = new Map(entries.map(([name, kind]) => [name, kind]));
    const names = [...seen.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const events: NarEvent[] = [{ type: 'directory', path: [] }];
    for (const name of names) {
      const kind = seen.get(name)!;
      if (kind === 'dir')
        events.push({ type: 'directory', path: [name] }, { type: 'directory-end', path: [name] });
      else if (kind === 'link') events.push({ type: 'symlink', path: [name], target: `../${name}` });
      else events.push(...file([name], kind, kind.length % 2 === 0));
    }
    events.push({ type: 'directory-end', path: [] });
    return events;
  });

format('parse(serialize(tree)) is the tree, for generated trees', () => {
  fc.assert(fc.property(treeArb, (tree) => assert.equal(parseMerged([narBytes(tree)]), tree)));
});

const refusals = suite('NAR parser refusals');

function refusal(nar: Uint8Array): DerivationError {
  try {
    parseNarBytes(nar);
  } catch (error) {
    assert.instance(error, DerivationError);
    return error as DerivationError;
  }
  throw new Error('expected the parser to refuse');
}

const dirWith = (...names: string[]) =>
  concatBytes([
    tokens('nix-archive-1', '(', 'type', 'directory'),
    ...names.map((name) =>
      concatBytes([
        tokens('entry', '(', 'name'),
        encodeString(bytes(name)),
        tokens('node', '(', 'type', 'symlink', 'target', 't', ')', ')'),
      ]),
    ),
    tokens(')'),
  ]);
const nameOffset = 24 + 16 + 16 + 24 + 16 * 3;

refusals('a name with /, NUL, ., .., or nothing: TALLY_NAR_BAD_NAME at the name', () => {
  for (const name of ['a/b', 'a\0b', '.', '..', '']) {
    const error = refusal(dirWith(name));
    assert.is(error.code, 'TALLY_NAR_BAD_NAME', JSON.stringify(name));
    assert.is(error.offset, nameOffset);
  }
  assert.is(refusal(dirWith('x'.repeat(256))).code, 'TALLY_NAR_BAD_NAME');
});

refusals('unsorted entries: TALLY_NAR_UNSORTED; repeated ones: TALLY_NAR_DUPLICATE', () => {
  assert.is(refusal(dirWith('b', 'a')).code, 'TALLY_NAR_UNSORTED');
  assert.is(refusal(dirWith('a', 'a')).code, 'TALLY_NAR_DUPLICATE');
  assert.is(refusal(dirWith('é', 'z')).code, 'TALLY_NAR_UNSORTED');
});

refusals('non-zero padding: TALLY_NAR_BAD_PADDING at the padding', () => {
  const nar = narBytes(file([], 'abc'));
  const at = 24 + 16 * 4 + 8 + 3;
  nar[at + 2] = 1;
  const error = refusal(nar);
  assert.is(error.code, 'TALLY_NAR_BAD_PADDING');
  assert.is(error.offset, at);
});

refusals('every truncation: TALLY_NAR_TRUNCATED at the end of the input', () => {
  const nar = narBytes(sampleTree);
  for (let cut = 0; cut < nar.length; cut++) {
    const error = refusal(nar.subarray(0, cut));
    assert.is(error.code, 'TALLY_NAR_TRUNCATED');
    assert.is(error.offset, cut);
  }
});

refusals('unknown tokens, types and a non-empty executable marker: TALLY_NAR_UNKNOWN_TOKEN', () => {
  assert.is(refusal(tokens('nix-archive-1', '(', 'type', 'fifo', ')')).code, 'TALLY_NAR_UNKNOWN_TOKEN');
  assert.is(refusal(tokens('nix-archive-1', '(', 'kind', 'regular')).code, 'TALLY_NAR_UNKNOWN_TOKEN');
  assert.is(
    refusal(tokens('nix-archive-1', '(', 'type', 'regular', 'executable', 'yes')).code,
    'TALLY_NAR_UNKNOWN_TOKEN',
  );
  assert.is(
    refusal(tokens('nix-archive-1', '(', 'type', 'symlink', 'contents')).code,
    'TALLY_NAR_UNKNOWN_TOKEN',
  );
  const longToken = concatBytes([tokens('nix-archive-1', '('), encodeLength(2 ** 40)]);
  assert.is(refusal(longToken).code, 'TALLY_NAR_UNKNOWN_TOKEN');
});

refusals('other input, trailing bytes, huge sizes and bad targets have their own codes', () => {
  assert.is(refusal(bytes('Derive([],[],[],"s","b",[],[])')).code, 'TALLY_NAR_NOT_A_NAR');
  assert.is(refusal(tokens('nix-archive-2')).code, 'TALLY_NAR_NOT_A_NAR');
  const trailing = refusal(concatBytes([narBytes(file([], 'a')), Uint8Array.of(0)]));
  assert.is(trailing.code, 'TALLY_NAR_TRAILING_DATA');
  const huge = concatBytes([
    tokens('nix-archive-1', '(', 'type', 'regular', 'contents'),
    encodeLength(2 ** 60),
  ]);
  assert.is(refusal(huge).code, 'TALLY_NAR_TOO_LARGE');
  assert.is(
    refusal(tokens('nix-archive-1', '(', 'type', 'symlink', 'target', '', ')')).code,
    'TALLY_NAR_BAD_TARGET',
  );
});

refusals('nesting past the depth limit: TALLY_NAR_TOO_DEEP', () => {
  const depth = 10;
  const events: NarEvent[] = [];
  const path: string[] = [];
  for (let i = 0; i <= depth; i++) {
    events.push({ type: 'directory', path: [...path] });
    path.push('d');
  }
  for (let i = depth; i >= 0; i--) events.push({ type: 'directory-end', path: path.slice(0, i) });
  const parser = createNarParser({ maxDepth: 5 });
  assert.throws(
    () => parser.push(narBytes(events)),
    (error: DerivationError) => error.code === 'TALLY_NAR_TOO_DEEP',
  );
});

refusals('a failed parser keeps failing', () => {
  const parser = createNarParser();
  assert.throws(() => parser.push(bytes('garbage!')));
  assert.throws(
    () => parser.push(new Uint8Array(8)),
    (error: DerivationError) => error.code === 'TALLY_NAR_NOT_A_NAR',
  );
});

refusals('random bytes never throw anything but a NAR error, and never hang', () => {
  const nar = narBytes(sampleTree);
  fc.assert(
    fc.property(
      fc.nat(nar.length - 1),
      fc.integer({ min: 0, max: 255 }),
      fc.uint8Array({ maxLength: 64 }),
      (at, byte, random) => {
        for (const input of [Uint8Array.from(nar, (b, i) => (i === at ? byte : b)), random]) {
          try {
            parseNarBytes(input);
          } catch (error) {
            assert.match((error as DerivationError).code, /^TALLY_NAR_/);
          }
        }
      },
    ),
  );
});

const serializer = suite('NAR serializer refusals');

function serializerError(events: NarEvent[]): string {
  try {
    narBytes(events);
  } catch (error) {
    return (error as DerivationError).code;
  }
  return 'none';
}

serializer('refuses unsorted, duplicate and unrepresentable names', () => {
  const dir = (...names: string[]): NarEvent[] => [
    { type: 'directory', path: [] },
    ...names.map((name) => ({ type: 'symlink' as const, path: [name], target: 't' })),
    { type: 'directory-end', path: [] },
  ];
  assert.is(serializerError(dir('b', 'a')), 'TALLY_NAR_UNSORTED');
  assert.is(serializerError(dir('a', 'a')), 'TALLY_NAR_DUPLICATE');
  assert.is(serializerError(dir('a/b')), 'TALLY_NAR_BAD_NAME');
  assert.is(serializerError(dir('..')), 'TALLY_NAR_BAD_NAME');
});

serializer('refuses contents that do not match the size, and incomplete trees', () => {
  assert.is(
    serializerError([
      { type: 'file', path: [], executable: false, size: 2 },
      { type: 'contents', path: [], chunk: bytes('abc') },
    ]),
    'TALLY_NAR_BAD_EVENT',
  );
  assert.is(serializerError([{ type: 'file', path: [], executable: false, size: 2 }]), 'TALLY_NAR_BAD_EVENT');
  assert.is(serializerError([{ type: 'directory', path: [] }]), 'TALLY_NAR_BAD_EVENT');
  assert.is(serializerError([...file([], 'a'), ...file([], 'b')]), 'TALLY_NAR_BAD_EVENT');
  assert.is(
    serializerError([{ type: 'directory', path: [] }, ...file(['a', 'b'], 'x')]),
    'TALLY_NAR_BAD_EVENT',
  );
});

format.run();
refusals.run();
serializer.run();
