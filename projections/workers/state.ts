/**
 * The workers read model's state: each worker's capabilities and connection, the attempts it runs,
 * when the farm last heard of it, and a bounded ring of its recent attempt intervals.
 */
import { emptyMap, type PMap } from '../shared/persistent-map.ts';

/** An attempt a worker runs now. */
export interface CurrentAttempt {
  readonly drvPath: string;
  readonly attemptId: string;
  /** 1 for the first attempt of the build, then 2, 3… */
  readonly attempt: number;
  /** Epoch ms. */
  readonly dispatchedAt: number;
  /** Epoch ms, once the worker said it began. */
  readonly startedAt?: number;
}

/** Whether the worker is there: said hello, said goodbye, or went silent. */
export type Connection = 'connected' | 'disconnected' | 'lost';

export interface WorkerRecord {
  readonly name: string;
  readonly systems: readonly string[];
  readonly cores: number;
  readonly memoryBytes: number;
  readonly diskBytes: number;
  readonly version: string;
  readonly connection: Connection;
  /** Gets no new work while true. */
  readonly drained: boolean;
  /** Forgotten by the farm (until it registers again); kept here so its history stays visible. */
  readonly removed: boolean;
  /** drvPath → attempt; a handful at most (one per build slot). */
  readonly current: Readonly<Record<string, CurrentAttempt>>;
  /**
   * When the farm last heard from the worker itself (it registered, connected or left; it started,
   * logged or ended an attempt; or, once lost, when it was last seen), epoch ms.
   */
  readonly lastContact: number;
  /** Finished attempt intervals `[start, end]` (epoch ms), oldest first, at most `recentCapacity`. */
  readonly recent: readonly (readonly [number, number])[];
}

export interface WorkersState {
  readonly workers: PMap<WorkerRecord>;
  /** drvPath → the worker running its current attempt, to find it from build events. */
  readonly running: PMap<string>;
  /** The time of the latest fact folded in (epoch ms), the default `now` of queries. */
  readonly lastAt: number;
}

/** Attempts kept per worker for utilisation: enough for a day of builds of a few minutes each. */
export const recentCapacity = 512;

export const initialWorkersState: WorkersState = { workers: emptyMap(), running: emptyMap(), lastAt: 0 };
