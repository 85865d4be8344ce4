/**
 * The queue read model's state: every build Tally knows (the queue needs to know which dependencies
 * already have outputs), the builds waiting for a dispatcher in lanes per system and priority, and an
 * index from each unfinished dependency to the builds waiting on it.
 */
import { emptyMap, type PMap } from '../shared/persistent-map.ts';

/** Where a build stands, as the queue sees it: waiting in the queue, running, or done. */
export type QueueBuildStatus =
  | 'queued'
  | 'dispatched'
  | 'building'
  | 'succeeded'
  | 'substituted'
  | 'failed'
  | 'cancelled';

/**
 * What the queue keeps of every build, whatever its status. Every field is always present (`null`
 * where there is nothing: it survives a JSON snapshot) so that all builds share one object shape;
 * objects made by spreading each took a hidden class of their own, which cost more than the rest.
 */
export interface QueueBuild {
  readonly status: QueueBuildStatus;
  readonly system: string;
  readonly priority: number;
  /** The input derivations Tally builds. */
  readonly dependencies: readonly string[];
  /** When it last entered the queue (queued or restarted), epoch ms; requeues keep their place. */
  readonly queuedAt: number;
  /**
   * It has produced outputs (succeeded or was substituted) and was not restarted since: dependents may
   * use them. A restart makes its dependents wait for it again, as the dispatcher does.
   */
  readonly satisfied: boolean;
  /**
   * While queued: dependencies without outputs yet, in the order the build listed them, empty when
   * runnable; `null` while not queued.
   */
  readonly pending: readonly string[] | null;
  /** Set after a requeue while queued: not dispatched before this time (epoch ms). */
  readonly notBefore: number | null;
}

/** The queued builds of one system and priority: drvPath → `queuedAt`. */
export type Lane = PMap<number>;

/** The queued builds of one system, by priority (the key is the priority as a string). */
export interface SystemLanes {
  /** Builds whose dependencies all have outputs (runnable, or deferred by `notBefore`). */
  readonly ready: Readonly<Record<string, Lane>>;
  /** Builds waiting on at least one dependency. */
  readonly blocked: Readonly<Record<string, Lane>>;
}

export interface QueueState {
  readonly builds: PMap<QueueBuild>;
  readonly lanes: Readonly<Record<string, SystemLanes>>;
  /** Queued builds with a `notBefore`: drvPath → notBefore (epoch ms). */
  readonly deferred: PMap<number>;
  /**
   * Builds waiting on a dependency, in chunks so an append copies at most `waiterChunk` names:
   * `${dependency} ${chunk}` → dependents. Entries may be stale (the dependent left the queue);
   * readers check the dependent's `pending`.
   */
  readonly waiters: PMap<readonly string[]>;
  /** dependency → how many dependents were appended to its chunks. */
  readonly waiterCounts: PMap<number>;
  /** The time of the latest fact folded in (epoch ms), the default `now` of queries; 0 before any. */
  readonly lastAt: number;
}

/** How many dependents one chunk of `waiters` holds. */
export const waiterChunk = 64;

export const initialQueueState: QueueState = {
  builds: emptyMap(),
  lanes: {},
  deferred: emptyMap(),
  waiters: emptyMap(),
  waiterCounts: emptyMap(),
  lastAt: 0,
};
