import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createFileSnapshotStore } from '../../../adapters/projection-snapshots/file-snapshot-store.ts';
import {
  createStateDecoder,
  encodeStateRecords,
} from '../../../adapters/projection-snapshots/snapshot-records.ts';
import { editMap, emptyMap, entriesOf, type PMap } from '../../../projections/shared/persistent-map.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';

const quiet = pino({ level: 'silent' });

/** A state shaped like the builds read model's: persistent maps of documents, records, scalars. */
function bigState(builds: number) {
  const docs: PMap<object> = editMap(emptyMap(), (editor) => {
    for (let i = 0; i < builds; i++)
      editor.set(`hash${i}`, { id: i, status: i % 3 ? 'succeeded' : 'failed', wantedBy: [{ job: `j${i}` }] });
  });
  const bySpec: Record<string, number[]> = {};
  for (let i = 0; i < 20_000; i++) bySpec[`spec-${i}`] = [i, i + 1];
  return { docs, bySpec, numbered: { 10: 'ten', 2: 'two', b: 'b', a: 'a' }, lastId: builds, note: null };
}

function roundTrip(state: unknown): unknown {
  const decoder = createStateDecoder();
  for (const record of encodeStateRecords(state)) decoder.push(record);
  return decoder.result();
}

const records = suite('snapshot records');

records('give back what JSON gives back, keys in the same order, for a state split over many records', () => {
  const state = bigState(20_000);
  const encoded = [...encodeStateRecords(state)];
  assert.ok(encoded.length > 10, `only ${encoded.length} records`);
  assert.ok(Math.max(...encoded.map((record) => record.length)) < 2 * 1024 * 1024);
  const back = roundTrip(state) as ReturnType<typeof bigState>;
  assert.is(JSON.stringify(back), JSON.stringify(state));
  assert.equal([...entriesOf(back.docs)].length, 20_000);
});

records('write a small state, or a scalar, as one record', () => {
  assert.equal([...encodeStateRecords({ a: 1 })], ['[3,{"a":1}]']);
  assert.is(roundTrip(7), 7);
  assert.is(roundTrip(null), null);
});

records('leave out undefined entries of objects and write null for those of arrays, as JSON does', () => {
  const big = 'x'.repeat(300 * 1024);
  const state = { gone: undefined, list: [undefined, big, () => 1], kept: { big } };
  assert.is(JSON.stringify(roundTrip(state)), JSON.stringify(state));
});

records('keep a __proto__ key as an own entry, without changing any prototype', () => {
  const state = JSON.parse(`{"names":{"__proto__":{"polluted":true},"filler":"${'y'.repeat(300 * 1024)}"}}`);
  const back = roundTrip(state) as { names: Record<string, unknown> };
  assert.ok(Object.hasOwn(back.names, '__proto__'));
  assert.is((back.names as { polluted?: boolean }).polluted, undefined);
  assert.is(({} as { polluted?: boolean }).polluted, undefined);
});

records('refuse records that name a container that was never created', () => {
  const decoder = createStateDecoder();
  assert.throws(() => decoder.push('[1,4,"a",1]'), /container 4/);
  assert.throws(() => createStateDecoder().result(), /without its state/);
});

records.run();

const files = suite('file snapshot store');

files(
  'saves and loads a large snapshot, and treats a file cut short or damaged as none',
  withTimeout(30_000, async () => {
    const dir = await tempDir();
    try {
      const store = createFileSnapshotStore(dir.path, quiet);
      const state = bigState(30_000);
      await store.save({ projection: 'builds', version: 3, position: 1234, state });
      assert.equal(await readdir(dir.path), ['builds.jsonl']);
      const loaded = await store.load('builds');
      assert.is(loaded?.version, 3);
      assert.is(loaded?.position, 1234);
      assert.is(JSON.stringify(loaded?.state), JSON.stringify(state));

      const path = join(dir.path, 'builds.jsonl');
      const text = await readFile(path, 'utf8');
      await writeFile(path, text.slice(0, Math.floor(text.length / 2)));
      assert.is(await store.load('builds'), undefined, 'cut in the middle');
      const lines = text.split('\n');
      await writeFile(path, lines.slice(0, -2).join('\n'));
      assert.is(await store.load('builds'), undefined, 'without its trailer');
      await writeFile(path, text.replace('[2,', '[2,}'));
      assert.is(await store.load('builds'), undefined, 'a record that is not JSON');
      assert.is(await store.load('queue'), undefined, 'never saved');
    } finally {
      await dir.cleanup();
    }
  }),
);

files(
  'still reads a snapshot of the earlier one-JSON-text format, and removes it at the next save',
  withTimeout(10_000, async () => {
    const dir = await tempDir();
    try {
      const store = createFileSnapshotStore(dir.path, quiet);
      const earlier = { projection: 'queue', version: 2, position: 99, state: { ready: { x: [1, 2] } } };
      await writeFile(join(dir.path, 'queue.json'), JSON.stringify(earlier));
      assert.equal(await store.load('queue'), earlier);
      await store.save({ ...earlier, position: 100 });
      assert.equal(await readdir(dir.path), ['queue.jsonl']);
      assert.is((await store.load('queue'))?.position, 100);
      await writeFile(join(dir.path, 'jobs.json'), '{"projection": "jobs", "posi');
      assert.is(await store.load('jobs'), undefined);
    } finally {
      await dir.cleanup();
    }
  }),
);

files(
  'treats a snapshot whose content was changed as none, and keeps the store it names',
  withTimeout(10_000, async () => {
    const dir = await tempDir();
    try {
      const snapshots = createFileSnapshotStore(dir.path, quiet);
      const state = { builds: { a: { status: 'failed' } }, total: 7 };
      await snapshots.save({ projection: 'p', version: 1, position: 42, store: 'first@0@t', state });
      assert.equal(await snapshots.load('p'), {
        projection: 'p',
        version: 1,
        position: 42,
        store: 'first@0@t',
        state,
      });
      const path = join(dir.path, 'p.jsonl');
      const text = await readFile(path, 'utf8');
      // Still JSON, still the same count of records: only the hash tells.
      for (const [from, to] of [
        ['"failed"', '"fail3d"'],
        ['"position":42', '"position":41'],
      ] as const) {
        assert.ok(text.includes(from), from);
        await writeFile(path, text.replace(from, to));
        assert.is(await snapshots.load('p'), undefined, `${from} changed`);
      }
    } finally {
      await dir.cleanup();
    }
  }),
);

files(
  'removes the temporary files of saves a crash cut short, not those of a process still saving',
  withTimeout(10_000, async () => {
    const dir = await tempDir();
    try {
      const dead = join(dir.path, 'builds.jsonl.999999999.tmp');
      const alive = join(dir.path, `queue.jsonl.${process.ppid}.tmp`);
      await writeFile(dead, 'half a snapshot');
      await writeFile(alive, 'being written');
      await createFileSnapshotStore(dir.path, quiet).save({
        projection: 'p',
        version: 1,
        position: 1,
        state: {},
      });
      assert.equal((await readdir(dir.path)).sort(), ['p.jsonl', `queue.jsonl.${process.ppid}.tmp`]);
    } finally {
      await dir.cleanup();
    }
  }),
);

files.run();
