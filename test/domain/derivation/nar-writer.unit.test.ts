/**
 * The chunked NAR writer against the event serializer: the same tree must come out byte for byte,
 * whatever the chunk size, with contents written into the writer's room in pieces of any length.
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { concatBytes, type NarEvent, narBytes, utf8 } from '../../../domain/derivation/index.ts';
import { createNarWriter, type NarWriter } from '../../../domain/derivation/nar-writer.ts';

/** Drives `writer` with `events`; contents go in through `room()` at most `piece` bytes at a time. */
function writeEvents(writer: NarWriter, events: readonly NarEvent[], piece: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let fileSize = 0;
  let written = 0;
  const endFile = (path: readonly string[]) => {
    writer.fileEnd(fileSize);
    if (path.length > 0) writer.entryEnd();
  };
  for (const event of events) {
    if (event.type !== 'contents' && event.path.length === 0 && event.type !== 'directory-end')
      writer.magic();
    if (event.type !== 'contents' && event.type !== 'directory-end' && event.path.length > 0) {
      writer.entry(utf8(event.path[event.path.length - 1]!));
    }
    switch (event.type) {
      case 'directory':
        writer.directory();
        break;
      case 'directory-end':
        writer.nodeEnd();
        if (event.path.length > 0) writer.entryEnd();
        break;
      case 'symlink':
        writer.symlink(utf8(event.target));
        if (event.path.length > 0) writer.entryEnd();
        break;
      case 'file':
        writer.file(event.executable, event.size);
        fileSize = event.size;
        written = 0;
        if (event.size === 0) endFile(event.path);
        break;
      case 'contents':
        for (let from = 0; from < event.chunk.length; ) {
          const room = writer.room();
          assert.ok(room.length > 0);
          const count = Math.min(room.length, piece, event.chunk.length - from);
          room.buffer.set(event.chunk.subarray(from, from + count), room.offset);
          writer.advance(count);
          from += count;
        }
        written += event.chunk.length;
        if (written === fileSize) endFile(event.path);
        break;
    }
    chunks.push(...writer.take());
  }
  chunks.push(...writer.finish());
  return chunks;
}

const contents = (path: string[], text: string, executable = false): NarEvent[] => [
  { type: 'file', path, executable, size: utf8(text).length },
  ...(text === '' ? [] : [{ type: 'contents' as const, path, chunk: utf8(text) }]),
];

const sampleTree: NarEvent[] = [
  { type: 'directory', path: [] },
  ...contents(['a'], 'hello'),
  ...contents(['b'], ''),
  { type: 'directory', path: ['d'] },
  ...contents(['d', 'nested'], 'x'.repeat(100), true),
  { type: 'directory-end', path: ['d'] },
  ...contents(['x'], '#!/bin/sh\n', true),
  { type: 'symlink', path: ['z'], target: 'a' },
  { type: 'symlink', path: ['é'], target: '../ünïcode/target' },
  { type: 'directory-end', path: [] },
];

const writer = suite('NAR writer');

writer('writes the tree byte for byte as the serializer, for every chunk size and piece length', () => {
  const expected = narBytes(sampleTree);
  for (const chunkSize of [8, 9, 13, 16, 64, 1 << 20]) {
    for (const piece of [1, 7, 1000]) {
      const chunks = writeEvents(createNarWriter({ chunkSize }), sampleTree, piece);
      assert.equal(concatBytes(chunks), expected, `chunk ${chunkSize}, piece ${piece}`);
      assert.ok(
        chunks.every((chunk) => chunk.length <= chunkSize),
        `chunk ${chunkSize}`,
      );
    }
  }
});

writer('writes single files and symlinks as the root node', () => {
  for (const tree of [
    contents([], ''),
    contents([], 'abc', true),
    [{ type: 'symlink', path: [], target: '/nix/store' } as const],
  ]) {
    assert.equal(concatBytes(writeEvents(createNarWriter({ chunkSize: 24 }), tree, 2)), narBytes(tree));
  }
});

writer('hands out chunks that later writes never change, even from dirty allocations', () => {
  const dirty = (size: number) => new Uint8Array(size).fill(0xee);
  const nar = createNarWriter({ chunkSize: 16, allocate: dirty });
  const taken: Uint8Array[] = [];
  const copies: Uint8Array[] = [];
  nar.magic();
  nar.directory();
  for (const name of ['a', 'b', 'c']) {
    nar.entry(utf8(name));
    nar.file(false, 3);
    const room = nar.room();
    room.buffer.set(utf8('abc').subarray(0, Math.min(3, room.length)), room.offset);
    nar.advance(Math.min(3, room.length));
    if (room.length < 3) {
      const next = nar.room();
      next.buffer.set(utf8('abc').subarray(room.length), next.offset);
      nar.advance(3 - room.length);
    }
    nar.fileEnd(3);
    nar.entryEnd();
    for (const chunk of nar.take()) {
      taken.push(chunk);
      copies.push(chunk.slice());
    }
  }
  nar.nodeEnd();
  const rest = nar.finish();
  assert.equal(taken, copies);
  const events: NarEvent[] = [
    { type: 'directory', path: [] },
    ...['a', 'b', 'c'].flatMap((name) => contents([name], 'abc')),
    { type: 'directory-end', path: [] },
  ];
  assert.equal(concatBytes([...taken, ...rest]), narBytes(events));
  assert.is(nar.size, narBytes(events).length);
});

writer('copies a small last chunk out of its large buffer', () => {
  const nar = createNarWriter({ chunkSize: 1 << 20 });
  nar.magic();
  nar.symlink(utf8('x'));
  const [last] = nar.finish();
  assert.is(last!.length, narBytes([{ type: 'symlink', path: [], target: 'x' }]).length);
  assert.is(last!.buffer.byteLength, last!.length);
});

writer('refuses to advance past its room', () => {
  const nar = createNarWriter({ chunkSize: 16 });
  nar.magic();
  nar.file(false, 100);
  const room = nar.room();
  assert.throws(() => nar.advance(room.length + 1), /cannot advance/);
  assert.throws(() => nar.advance(-1), /cannot advance/);
});

const nameArb = fc.stringMatching(/^[a-zA-Z0-9é_.-]{1,6}$/).filter((n) => n !== '.' && n !== '..');
const treeArb: fc.Arbitrary<NarEvent[]> = fc
  .array(fc.tuple(nameArb, fc.oneof(fc.constant('dir'), fc.string({ maxLength: 40 }), fc.constant('link'))), {
    maxLength: 8,
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
      else events.push(...contents([name], kind, kind.length % 2 === 0));
    }
    events.push({ type: 'directory-end', path: [] });
    return events;
  });

writer('matches the serializer on generated trees, chunk sizes and pieces', () => {
  fc.assert(
    fc.property(
      treeArb,
      fc.integer({ min: 8, max: 200 }),
      fc.integer({ min: 1, max: 50 }),
      (tree, chunkSize, piece) => {
        assert.equal(concatBytes(writeEvents(createNarWriter({ chunkSize }), tree, piece)), narBytes(tree));
      },
    ),
  );
});

writer.run();
