import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createBuildJsonCache } from '../../api/routes/builds/build-json.ts';
import type { HydraBuildJson } from '../../projections/builds/hydra.ts';
import type { BuildRecord } from '../../projections/builds/state.ts';

const test = suite('build JSON cache');

function recordOf(id: number, status: BuildRecord['status'] = 'queued'): BuildRecord {
  return {
    id,
    drvPath: `/nix/store/${String(id).padStart(32, 'a')}-pkg-${id}.drv`,
    system: 'x86_64-linux',
    status,
    priority: 0,
    queuedAt: Date.UTC(2026, 0, 1),
    finishedAt: null,
    wantedBy: ['guix', `pkg-${id}.x86_64-linux`, 'guix-1'],
    wantedCount: 1,
    attempts: null,
    outputs: null,
    ending: null,
    restarts: 0,
  };
}

const entryOf = (record: BuildRecord) => ({ record, hash: record.drvPath.slice(11, 43) });

/** A serializer that counts its calls. */
function counting() {
  const calls: number[] = [];
  const serialize = (build: HydraBuildJson) => {
    calls.push(build.id);
    return JSON.stringify(build);
  };
  return { calls, serialize };
}

test('writes a record once, and a new record of the same build anew', () => {
  const cache = createBuildJsonCache(10);
  const { calls, serialize } = counting();
  const queued = recordOf(1);
  const first = cache.textOf(entryOf(queued), serialize);
  assert.is(cache.textOf(entryOf(queued), serialize), first);
  assert.equal(calls, [1]);
  const building = { ...queued, status: 'building' as const };
  const changed = JSON.parse(cache.textOf(entryOf(building), serialize));
  assert.is(changed.status, 'building');
  assert.is(JSON.parse(first).status, 'queued');
  assert.equal(calls, [1, 1]);
});

test('holds at most its capacity, forgetting the record read least recently', () => {
  const cache = createBuildJsonCache(2);
  const { calls, serialize } = counting();
  const [one, two, three] = [recordOf(1), recordOf(2), recordOf(3)];
  cache.textOf(entryOf(one), serialize);
  cache.textOf(entryOf(two), serialize);
  cache.textOf(entryOf(one), serialize); // one is now the most recent
  cache.textOf(entryOf(three), serialize); // two goes
  assert.is(cache.size, 2);
  cache.textOf(entryOf(one), serialize);
  assert.equal(calls, [1, 2, 3]);
  cache.textOf(entryOf(two), serialize);
  assert.equal(calls, [1, 2, 3, 2]);
  assert.is(cache.size, 2);
});

test.run();
