import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { verifyProjections } from '../../ops/cli/commands/replay-verify.ts';
import { createMemorySnapshotStore } from '../../projections/runtime/snapshot-store.ts';
import { hashState } from '../../projections/runtime/state-hash.ts';

const test = suite('tally replay --verify: which replay each snapshot is compared with');

const projections = [
  { name: 'queue', version: 2 },
  { name: 'workers', version: 1 },
];

/** A replay that answers `{ at: upTo }` as every projection's state, and records what it was asked. */
function recordingReplay() {
  const asked: { projections: readonly string[]; upTo: number }[] = [];
  return {
    asked,
    replay: async (names: readonly string[], upTo: number) => {
      asked.push({ projections: names, upTo });
      return { position: upTo, hashes: new Map(names.map((name) => [name, hashState({ at: upTo })])) };
    },
  };
}

const fullAt = (position: number) => ({
  position,
  hashes: new Map(projections.map(({ name }) => [name, hashState({ at: position })])),
});

test('compares a snapshot as of the full replay with it, and an older one with a replay to its position', async () => {
  const snapshots = createMemorySnapshotStore();
  await snapshots.save({ projection: 'queue', version: 2, position: 100, state: { at: 100 } });
  await snapshots.save({ projection: 'workers', version: 1, position: 40, state: { at: 40 } });
  const { asked, replay } = recordingReplay();
  const verdicts = await verifyProjections(projections, snapshots, fullAt(100), replay, async () => false);
  assert.is(verdicts.get('queue')?.kind, 'identical');
  assert.is(verdicts.get('workers')?.kind, 'identical');
  assert.equal(asked, [{ projections: ['workers'], upTo: 40 }]);
});

test('replays to a later snapshot when events were appended after the head was read, rather than call it different', async () => {
  const snapshots = createMemorySnapshotStore();
  await snapshots.save({ projection: 'queue', version: 2, position: 130, state: { at: 130 } });
  const { asked, replay } = recordingReplay();
  const between: [number, number][] = [];
  const verdicts = await verifyProjections(
    projections,
    snapshots,
    fullAt(100),
    replay,
    async (after, upTo) => {
      between.push([after, upTo]);
      return true;
    },
  );
  assert.equal(between, [[100, 130]]);
  assert.equal(asked, [{ projections: ['queue'], upTo: 130 }]);
  assert.is(verdicts.get('queue')?.kind, 'identical');
});

test('uses the full replay for a later snapshot when no event lies in between', async () => {
  const snapshots = createMemorySnapshotStore();
  // A checkpoint past the last event (the store's own events are not folded) moves the position only.
  await snapshots.save({ projection: 'queue', version: 2, position: 130, state: { at: 100 } });
  const { asked, replay } = recordingReplay();
  const verdicts = await verifyProjections(projections, snapshots, fullAt(100), replay, async () => false);
  assert.equal(asked, []);
  assert.is(verdicts.get('queue')?.kind, 'identical');
});

test('names a snapshot that differs, and tells a missing or stale one apart', async () => {
  const snapshots = createMemorySnapshotStore();
  await snapshots.save({ projection: 'queue', version: 1, position: 100, state: { at: 100 } });
  await snapshots.save({ projection: 'workers', version: 1, position: 100, state: { at: 99 } });
  const { replay } = recordingReplay();
  const verdicts = await verifyProjections(projections, snapshots, fullAt(100), replay, async () => false);
  assert.equal(verdicts.get('queue'), { kind: 'stale-snapshot', version: 1 });
  assert.is(verdicts.get('workers')?.kind, 'differs');

  const none = await verifyProjections(
    projections,
    createMemorySnapshotStore(),
    fullAt(100),
    replay,
    async () => false,
  );
  assert.equal([...none.values()], [{ kind: 'no-snapshot' }, { kind: 'no-snapshot' }]);
});

test.run();
