/**
 * The runtime's promise over every read model of the catalogue: a server that folds a farm's history
 * live — handing states out to readers, writing snapshots while it goes on folding, dying at random
 * points (with some snapshot writes landed and others not) and resuming from what the file snapshot
 * store kept — ends with the states a replay from the first event reaches, and every state it handed
 * out stays what it was when handed out.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import pino from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeRecorded } from '../../../adapters/eventstore/read-domain-event.ts';
import { createFileSnapshotStore } from '../../../adapters/projection-snapshots/file-snapshot-store.ts';
import { eventRegistry, type TallyEvent } from '../../../domain/events.ts';
import { allProjections } from '../../../projections/catalogue.ts';
import type { SourceEvent } from '../../../projections/runtime/event-source.ts';
import {
  foldEvent,
  newSlot,
  type ProjectionSlot,
  type SkippedEvents,
  sealSlot,
} from '../../../projections/runtime/fold.ts';
import type { ProjectedEvent } from '../../../projections/runtime/projection.ts';
import type { Snapshot, SnapshotStore } from '../../../projections/runtime/snapshot-store.ts';
import { hashState } from '../../../projections/runtime/state-hash.ts';
import { withTimeout } from '../../helpers/uvu.ts';
import { type FarmSize, farmLives } from './farm-life.ts';

/** An event as the ledger keeps it: its content as JSON text, parsed anew at every read. */
interface StoredEvent {
  readonly source: Omit<SourceEvent, 'data' | 'metadata'>;
  readonly data: string;
  readonly metadata: string;
}

function stored(history: readonly ProjectedEvent<TallyEvent>[]): StoredEvent[] {
  return history.map(({ event, streamId, revision, position, metadata, recordedAt }) => ({
    source: { streamId, revision, position, id: `event-${position}`, type: event.type, created: recordedAt },
    data: JSON.stringify(event.data),
    metadata: JSON.stringify(metadata),
  }));
}

/** A fresh copy at every read, as from the store: no state may hold on to another read's objects. */
const read = ({ source, data, metadata }: StoredEvent): SourceEvent => ({
  ...source,
  data: JSON.parse(data),
  metadata: JSON.parse(metadata),
});

/** Folds one event; an event the domain cannot read fails the test (the histories are valid ones). */
function fold(slots: readonly ProjectionSlot[], event: StoredEvent): void {
  const skipped: SkippedEvents = { count: 0, byReason: {} };
  foldEvent(slots, read(event), decodeRecorded, skipped, (source, reason) =>
    assert.unreachable(`event ${source.position} (${source.type}) cannot be read: ${reason}`),
  );
}

/** What the server does next, once the event at `at` (a share of the history) is folded. */
type Action =
  /** A reader is handed one projection's state (the runner's `state(name)`). */
  | { readonly kind: 'read'; readonly projection: number }
  /** Snapshots of the changed projections, written `delay` events later (the fold goes on meanwhile). */
  | { readonly kind: 'save'; readonly delay: number }
  /** The process dies with the first `landed` of its pending snapshot writes done, and restarts. */
  | { readonly kind: 'crash'; readonly landed: number };

interface Timed<A> {
  readonly at: number;
  readonly action: A;
}

const share = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const crashes = fc.array(
  fc.record({ at: share, action: fc.record({ kind: fc.constant('crash' as const), landed: fc.nat(3) }) }),
  { minLength: 2, maxLength: 5 },
);
const readsAndSaves = fc.array(
  fc.record({
    at: share,
    action: fc.oneof(
      fc.record({ kind: fc.constant('read' as const), projection: fc.nat(allProjections.length - 1) }),
      fc.record({ kind: fc.constant('save' as const), delay: fc.nat(8) }),
    ),
  }),
  { minLength: 2, maxLength: 14 },
);
const plans: fc.Arbitrary<Timed<Action>[]> = fc
  .tuple(crashes, readsAndSaves)
  .map(([a, b]) => [...a, ...b].sort((x, y) => x.at - y.at));

/** A state handed out (to a reader or to a snapshot write), with its hash then. */
interface HandedOut {
  readonly projection: string;
  readonly position: number;
  readonly state: unknown;
  readonly hash: string;
}

interface PendingWrite {
  readonly snapshot: Snapshot;
  readonly hash: string;
  /** The number of folds after which the write lands. */
  readonly landsAfter: number;
}

/** The server's life over `events` following `plan`; returns its final states and all it handed out. */
async function live(events: readonly StoredEvent[], plan: readonly Timed<Action>[], store: SnapshotStore) {
  const handedOut: HandedOut[] = [];
  /** The last snapshot landed per projection: what a restart must read back. */
  const landed = new Map<string, { position: number; hash: string }>();
  let pending: PendingWrite[] = [];
  let folds = 0;
  let slots = allProjections.map(newSlot);
  let next = 0;
  let step = 0;

  const handOut = (slot: ProjectionSlot): HandedOut => {
    const state = sealSlot(slot);
    const given = {
      projection: slot.projection.name,
      position: slot.position,
      state,
      hash: hashState(state),
    };
    handedOut.push(given);
    return given;
  };

  const land = async (write: PendingWrite) => {
    await store.save(write.snapshot);
    landed.set(write.snapshot.projection, { position: write.snapshot.position, hash: write.hash });
  };

  const landDue = async () => {
    // Writes are chained in the runner: one lands only after those before it.
    while (pending[0] && pending[0].landsAfter <= folds) await land(pending.shift()!);
  };

  /** The runner's saveSnapshots: every projection changed since its last snapshot, sealed at once. */
  const save = (delay: number) => {
    for (const slot of slots) {
      if (slot.unsaved === 0) continue;
      slot.unsaved = 0;
      const { state, position, hash } = handOut(slot);
      const { name: projection, version } = slot.projection;
      pending.push({ snapshot: { projection, version, position, state }, hash, landsAfter: folds + delay });
    }
  };

  /** A new process: each projection from its snapshot, following `$all` from the oldest checkpoint. */
  const restart = async (writesLanded: number) => {
    for (const write of pending.slice(0, writesLanded)) await land(write);
    pending = [];
    slots = allProjections.map(newSlot);
    for (const slot of slots) {
      const { name, version, repeatsStrings } = slot.projection;
      const snapshot = await store.load(name, { shareStrings: repeatsStrings === true });
      const saved = landed.get(name);
      if (!saved) {
        assert.is(snapshot, undefined, `${name}: a snapshot nobody saved`);
        continue;
      }
      assert.ok(snapshot, `${name}: the snapshot saved at ${saved.position} cannot be read back`);
      assert.is(snapshot.version, version);
      assert.is(snapshot.position, saved.position, `${name}: the snapshot read back is of another position`);
      assert.is(
        hashState(snapshot.state),
        saved.hash,
        `${name}: the snapshot read back differs from the state saved at ${saved.position}`,
      );
      slot.state = snapshot.state;
      slot.position = snapshot.position;
    }
    next = Math.min(...slots.map((slot) => slot.position)) + 1;
  };

  let stopped = false;
  for (;;) {
    while (next < events.length) {
      const index = next++;
      fold(slots, events[index]!);
      folds += 1;
      await landDue();
      while (plan[step] && Math.floor(plan[step]!.at * events.length) <= index) {
        const { action } = plan[step++]!;
        if (action.kind === 'read') handOut(slots[action.projection]!);
        else if (action.kind === 'save') save(action.delay);
        else await restart(action.landed);
      }
    }
    if (stopped) break;
    // The runner's stop (every changed projection saved, every write awaited), then a start.
    save(0);
    await restart(pending.length);
    stopped = true;
  }
  return { states: slots.map((slot) => ({ name: slot.projection.name, state: sealSlot(slot) })), handedOut };
}

/**
 * Replays the events in one go from the first, as `tally replay` does, with the hash of each
 * projection's state at the positions asked for (read as the fold passes them) and at the end.
 */
function replay(events: readonly StoredEvent[], wanted: ReadonlyMap<string, ReadonlySet<number>>) {
  const slots = allProjections.map(newSlot);
  const at = new Map<string, Map<number, string>>(slots.map((slot) => [slot.projection.name, new Map()]));
  const record = (position: number) => {
    for (const slot of slots) {
      const name = slot.projection.name;
      if (wanted.get(name)?.has(position)) at.get(name)!.set(position, hashState(slot.state));
    }
  };
  record(-1);
  for (const [index, event] of events.entries()) {
    fold(slots, event);
    record(index);
  }
  const final = new Map(slots.map((slot) => [slot.projection.name, hashState(sealSlot(slot))]));
  return { at, final };
}

interface Context {
  directory: string;
}

const test = suite<Context>('every read model, live with restarts from snapshots, against a replay');
test.before(async (context) => {
  // The store syncs every file it writes: on a disk that is most of a run's time and tells nothing
  // about states, so snapshots go to memory where the system offers a file system there.
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  context.directory = await mkdtemp(join(base, 'tally-live-vs-replay-'));
});
test.after(async ({ directory }) => rm(directory, { recursive: true, force: true }));

const silent = pino({ level: 'silent' });

/**
 * Checks `numRuns` random histories of farms of `size`; `afterRun` sees each run's snapshot directory
 * before it is removed. A run that breaks the promise fails the test with its shrunk history and plan.
 */
async function liveAgainstReplay(
  directory: string,
  size: FarmSize,
  numRuns: number,
  afterRun: (runDirectory: string) => Promise<void> = async () => undefined,
): Promise<void> {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(farmLives(size), plans, async (history, plan) => {
      const events = stored(history);
      const runDirectory = join(directory, `${size}-${run++}`);
      try {
        const store = createFileSnapshotStore(runDirectory, silent);
        const { states, handedOut } = await live(events, plan, store);
        const wanted = new Map<string, Set<number>>();
        for (const { projection, position } of handedOut)
          wanted.set(projection, (wanted.get(projection) ?? new Set()).add(position));
        const replayed = replay(events, wanted);
        for (const { name, state } of states)
          assert.is(
            hashState(state),
            replayed.final.get(name),
            `${name}: the live state differs from a replay`,
          );
        for (const { projection, position, state, hash } of handedOut) {
          assert.is(
            hashState(state),
            hash,
            `${projection}: the state handed out at ${position} changed as more events were folded`,
          );
          assert.is(
            hash,
            replayed.at.get(projection)!.get(position),
            `${projection}: the state handed out at ${position} is not a replay's up to ${position}`,
          );
        }
        await afterRun(runDirectory);
      } finally {
        await rm(runDirectory, { recursive: true, force: true });
      }
    }),
    { numRuns, includeErrorInReport: true },
  );
}

test(
  'reaches the states of a replay from the first event, and never changes a state it handed out',
  withTimeout(120_000, ({ directory }) => liveAgainstReplay(directory, 'small', 60)),
);

test(
  'does so too when states are large enough for their snapshots to be split into many records',
  withTimeout(120_000, async ({ directory }) => {
    await liveAgainstReplay(directory, 'large', 3, async (runDirectory) => {
      // A header, the records, a trailer: more than three lines is a state written in several records.
      const lines = await Promise.all(
        (await readdir(runDirectory)).map(
          async (file) => (await readFile(join(runDirectory, file), 'utf8')).split('\n').length - 1,
        ),
      );
      assert.ok(Math.max(...lines) > 3, `no snapshot was split into records (lines: ${lines.join(', ')})`);
    });
  }),
);

test('its histories hold every type of event some read model folds', () => {
  const seen = new Set<string>();
  for (const history of fc.sample(farmLives(), { numRuns: 40, seed: 1 }))
    for (const { event } of history) seen.add(event.type);
  const folded = Object.keys(eventRegistry).filter((type) =>
    allProjections.some((projection) => projection.canHandle(type)),
  );
  assert.equal(
    folded.filter((type) => !seen.has(type)),
    [],
    'event types a read model folds that no history holds',
  );
});

test.run();
