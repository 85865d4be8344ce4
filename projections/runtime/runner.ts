/**
 * The projection runtime: resumes every projection from its snapshot (or from the first event when it
 * has none, or when its version changed), follows `$all` from the oldest checkpoint among them, folds
 * each event into the projections that want it, and snapshots them every so many events or seconds.
 */
import { type Decoder, describeStore, type EventSource, type SourceSubscription } from './event-source.ts';
import { foldEvent, newSlot, type ProjectionSlot, type SkippedEvents, sealSlot } from './fold.ts';
import type { AnyProjection, ProjectedEvent } from './projection.ts';
import type { Snapshot, SnapshotStore } from './snapshot-store.ts';

/** The few logger methods the runtime uses (pino's signature: object first, message second). */
export interface RuntimeLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface ProjectionRunnerOptions<E extends { readonly type: string }> {
  readonly source: EventSource;
  readonly projections: readonly AnyProjection<E>[];
  /** With `knownTypes`, an event of another type is skipped and counted though no projection handles it. */
  readonly decode: Decoder<E>;
  readonly snapshots: SnapshotStore;
  readonly logger: RuntimeLogger;
  /**
   * Snapshot a projection after this many changes, once events have paused for `snapshotQuietMs`
   * (writing a snapshot holds the thread while the state is serialised: not in the middle of a
   * burst), or at ten times this many whatever the pace…
   */
  readonly snapshotEveryEvents?: number;
  /** …or this long after its first unsaved change, at a pause too (at ten times this, whatever the pace). */
  readonly snapshotEveryMs?: number;
  /** How long the feed must be quiet before a snapshot due by count is written. Default 1 s. */
  readonly snapshotQuietMs?: number;
  readonly now?: () => number;
}

/** How far behind the store the projections are, for the API and metrics. */
export interface ProjectionLag {
  readonly appliedPosition: number;
  readonly headPosition: number;
  readonly caughtUp: boolean;
  /** Milliseconds since the last applied event was recorded; 0 when caught up. */
  readonly behindMs: number;
  /**
   * The projections short of the last event, by name: all of them while the server catches up, or the
   * one rebuilt from the first event after its version changed while the others follow live.
   */
  readonly behind: readonly string[];
}

export interface ProjectionRunner<E extends { readonly type: string } = { readonly type: string }> {
  /**
   * Loads snapshots, one projection after another in the order given, and starts following; resolves
   * once the subscription is confirmed. Each projection can be read as soon as its own snapshot is in
   * (`loaded`), before the others are.
   */
  start(): Promise<void>;
  /**
   * Resolves once the projection's snapshot is loaded (at once before `start`, or when it has none):
   * from then on `state` and `positionOf` answer for it.
   */
  loaded(name: string): Promise<void>;
  /** The projections whose snapshots are still loading (empty before `start` and once all are in). */
  loading(): readonly string[];
  /** A projection's current state; throws `TALLY_PROJECTIONS_LOADING` while its snapshot is loading. */
  state<S>(name: string): S;
  /** The position of the last event a projection's current state includes (its own checkpoint). */
  positionOf(name: string): number;
  /** The position every projection has reached. */
  position(): number;
  /** Resolves once every projection has folded in the event at `position` (read-your-writes). */
  waitFor(position: number, timeoutMs?: number): Promise<void>;
  lag(): Promise<ProjectionLag>;
  /**
   * Calls `listener` after every live event some projection folded in, with every projection already
   * showing it: the hook the farm's processes react on. Returns a function that removes it.
   */
  onApplied(listener: (event: ProjectedEvent<E>) => void): () => void;
  readonly skipped: Readonly<SkippedEvents>;
  /**
   * Saves a snapshot of every projection that changed since its last one, now, and resolves once every
   * save asked for so far is written, with each projection's position: what `tally replay --verify`
   * compares with is then the live state.
   */
  saveNow(): Promise<readonly { readonly name: string; readonly position: number }[]>;
  /** Stops following and saves a snapshot of every projection that changed. */
  stop(): Promise<void>;
}

export function createProjectionRunner<E extends { readonly type: string }>(
  options: ProjectionRunnerOptions<E>,
): ProjectionRunner<E> {
  const { source, decode, snapshots, logger } = options;
  const everyEvents = options.snapshotEveryEvents ?? 10_000;
  const everyMs = options.snapshotEveryMs ?? 30_000;
  const quietMs = options.snapshotQuietMs ?? 1000;
  const now = options.now ?? Date.now;
  const slots: ProjectionSlot[] = options.projections.map(newSlot);
  const skipped: SkippedEvents = { count: 0, byReason: {} };
  const listeners = new Set<(event: ProjectedEvent<E>) => void>();
  const waiters = new Set<{ position: number; resolve: () => void }>();
  let subscription: SourceSubscription | undefined;
  let following: Promise<void> | undefined;
  let lastRecordedAt = 0;
  let firstUnsavedAt: number | undefined;
  let saving: Promise<void> = Promise.resolve();
  let quiet: NodeJS.Timeout | undefined;
  let stopping = false;
  let starting: Promise<void> | undefined;
  let restoring: Promise<void> | undefined;
  /** The snapshot loads still under way, by projection; empty once every one is in. */
  const loading = new Map<string, Promise<void>>();

  function slotNamed(name: string): ProjectionSlot {
    const slot = slots.find((candidate) => candidate.projection.name === name);
    if (!slot) throw new Error(`no projection named ${name}`);
    return slot;
  }

  /** The position every projection has reached; -1 (nothing folded) with no projections. */
  const position = () =>
    slots.length === 0
      ? -1
      : slots.reduce((lowest, slot) => Math.min(lowest, slot.position), Number.POSITIVE_INFINITY);

  /** The store as the runner found it at start: snapshots must belong to it and not be ahead of it. */
  let store: { identity?: string; head: number } = { head: -1 };

  /** Why a snapshot of the right version cannot be this store's state, if it cannot. */
  function foreign(snapshot: Snapshot): string | undefined {
    if (snapshot.store !== undefined && store.identity !== undefined && snapshot.store !== store.identity)
      return 'the snapshot was folded from another event store';
    if (snapshot.position > store.head)
      return "the snapshot is ahead of the event store's last event (was the store restored from an older backup?)";
    return undefined;
  }

  async function restore(slot: ProjectionSlot): Promise<void> {
    const snapshot = await snapshots.load(slot.projection.name, {
      shareStrings: slot.projection.repeatsStrings === true,
    });
    const why = snapshot && foreign(snapshot);
    if (snapshot && why) {
      logger.warn(
        { projection: slot.projection.name, position: snapshot.position, head: store.head },
        `${why}: rebuilding the projection from the first event`,
      );
      return;
    }
    if (snapshot && snapshot.version === slot.projection.version) {
      slot.state = snapshot.state;
      slot.position = snapshot.position;
      return;
    }
    if (snapshot) {
      logger.info(
        { projection: slot.projection.name, from: snapshot.version, to: slot.projection.version },
        'projection version changed: rebuilding it from the first event',
      );
    }
  }

  /** Overdue whatever the pace: ten times the count, or ten times the age, of unsaved changes. */
  function snapshotDue(): boolean {
    if (firstUnsavedAt === undefined) return false;
    return slots.some((slot) => slot.unsaved >= 10 * everyEvents) || now() - firstUnsavedAt >= 10 * everyMs;
  }

  /** Worth saving at the next pause: the count, or the age, of unsaved changes reached. */
  function snapshotWanted(): boolean {
    if (firstUnsavedAt === undefined) return false;
    return slots.some((slot) => slot.unsaved >= everyEvents) || now() - firstUnsavedAt >= everyMs;
  }

  /** Saves once the feed has been quiet for `quietMs`, if a snapshot is still wanted then. */
  function saveWhenQuiet(): void {
    if (!snapshotWanted()) return;
    if (quiet) {
      quiet.refresh();
      return;
    }
    quiet = setTimeout(() => {
      quiet = undefined;
      if (!stopping && snapshotWanted()) void saveSnapshots();
    }, quietMs);
    quiet.unref();
  }

  /**
   * Saves the projections changed since their last snapshot, or (`every`) all of them, so that each
   * snapshot stands at its projection's position even when the events since changed nothing in it.
   */
  function saveSnapshots(every = false): Promise<void> {
    const due = every ? slots : slots.filter((slot) => slot.unsaved > 0);
    firstUnsavedAt = undefined;
    const copies = due.map((slot) => {
      slot.unsaved = 0;
      return {
        projection: slot.projection.name,
        version: slot.projection.version,
        position: slot.position,
        state: sealSlot(slot),
      };
    });
    // Saves are chained so an older snapshot never lands after a newer one.
    saving = saving.then(async () => {
      // A store that was empty at start has a first event by now (unsaid if the store cannot tell now).
      if (store.identity === undefined)
        store = { ...(await describeStore(source).catch(() => ({ head: store.head }))), head: store.head };
      for (const copy of copies) {
        const snapshot = store.identity === undefined ? copy : { ...copy, store: store.identity };
        try {
          await snapshots.save(snapshot);
        } catch (error) {
          // Counted as unsaved again, so that the next events (or the next quiet second) save it.
          slotNamed(snapshot.projection).unsaved += 1;
          firstUnsavedAt ??= now();
          logger.error(
            { err: error, projection: snapshot.projection },
            'could not save a projection snapshot; it is saved again with the next events',
          );
        }
      }
    });
    return saving;
  }

  function notify(event: ProjectedEvent<E>): void {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        logger.error({ err: error, position: event.position }, 'a listener of applied events failed');
      }
    }
  }

  function wakeWaiters(): void {
    const reached = position();
    for (const waiter of waiters) {
      if (waiter.position <= reached) {
        waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  async function follow(from: 'start' | number): Promise<void> {
    subscription = source.subscribeToAll({ from });
    const current = subscription;
    following = (async () => {
      let failure: unknown;
      try {
        for await (const message of current) {
          if (message.kind === 'checkpoint') {
            for (const slot of slots) slot.position = Math.max(slot.position, message.position);
          } else {
            const applied = foldEvent(slots, message.event, decode, skipped, (event, reason) =>
              logger.warn(
                { position: event.position, stream: event.streamId, type: event.type, reason },
                'skipped an event: the domain cannot read it, or a projection failed on it',
              ),
            );
            if (applied) notify(applied);
            lastRecordedAt = message.event.created.getTime();
            if (slots.some((slot) => slot.unsaved > 0)) firstUnsavedAt ??= now();
          }
          wakeWaiters();
          if (snapshotDue()) void saveSnapshots();
          else saveWhenQuiet();
        }
      } catch (error) {
        failure = error;
      }
      if (stopping) return;
      // The connection dropped, or the store ended the subscription (a server shutting down cleanly
      // does): either way nothing more would be folded, so follow again from where every projection got to.
      if (failure === undefined)
        logger.warn(
          { position: position() },
          'the projection subscription ended though the runner was not stopped; resubscribing in 1 s',
        );
      else logger.error({ err: failure }, 'the projection subscription failed; resubscribing in 1 s');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      if (stopping) return;
      const from = position();
      await follow(from < 0 ? 'start' : from).catch((again) =>
        logger.error({ err: again }, 'resubscribing failed; projections are stale until a restart'),
      );
    })();
    await current.started();
  }

  return {
    start() {
      starting ??= (async () => {
        // One after another: the first projections answer while the others load, and only one
        // snapshot is being decoded at a time. Each is checked against the store as it is now.
        let previous = describeStore(source).then((found) => {
          store = found;
        });
        for (const slot of slots) {
          const name = slot.projection.name;
          previous = previous.then(async () => {
            await restore(slot);
            loading.delete(name);
          });
          loading.set(name, previous);
        }
        restoring = previous;
        await previous;
        if (stopping) return;
        const from = position();
        logger.info({ from, projections: slots.length }, 'projections resuming');
        await follow(from < 0 ? 'start' : from);
      })();
      return starting;
    },
    async loaded(name) {
      slotNamed(name);
      await loading.get(name);
    },
    loading: () => [...loading.keys()],
    state<S>(name: string): S {
      const slot = slotNamed(name);
      if (loading.has(name))
        throw Object.assign(new Error(`projection ${name} is still loading its snapshot`), {
          code: 'TALLY_PROJECTIONS_LOADING',
        });
      return sealSlot(slot) as S;
    },
    positionOf(name) {
      return slotNamed(name).position;
    },
    position,
    waitFor(target, timeoutMs = 5000) {
      if (position() >= target) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const waiter = {
          position: target,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(
            Object.assign(new Error(`projections did not reach position ${target} within ${timeoutMs} ms`), {
              code: 'TALLY_PROJECTIONS_BEHIND',
            }),
          );
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    async lag() {
      let headPosition = -1;
      for await (const event of source.readAll({ direction: 'backwards', limit: 1 }))
        headPosition = event.position;
      const appliedPosition = position();
      const caughtUp = appliedPosition >= headPosition;
      return {
        appliedPosition,
        headPosition,
        caughtUp,
        behindMs: caughtUp ? 0 : Math.max(0, now() - lastRecordedAt),
        behind: slots.filter((slot) => slot.position < headPosition).map((slot) => slot.projection.name),
      };
    },
    onApplied(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    skipped,
    async saveNow() {
      // Forgotten, not only stopped: a stopped timer cannot be refreshed, and the next pause would save nothing.
      clearTimeout(quiet);
      quiet = undefined;
      const positions = slots.map((slot) => ({ name: slot.projection.name, position: slot.position }));
      await saveSnapshots(true);
      return positions;
    },
    async stop() {
      stopping = true;
      clearTimeout(quiet);
      // A stop in the middle of loading lets the load finish (it then does not follow).
      await restoring?.catch(() => undefined);
      await subscription?.cancel();
      await following;
      await saveSnapshots();
    },
  };
}
