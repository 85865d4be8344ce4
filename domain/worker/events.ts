/**
 * Events of a worker's stream (`worker-<name>`). Heartbeats are not events; a worker's loss is.
 */
import type { Actor } from '../shared/metadata.ts';
import type { IsoTime } from '../shared/time.ts';

/** What a worker can do, as it says in its hello. */
export interface Capabilities {
  /** Systems it builds (`x86_64-linux`); at least one. */
  readonly systems: readonly string[];
  readonly cores: number;
  readonly memoryBytes: number;
  /** Free disk space when it said hello. */
  readonly diskBytes: number;
  /** Its Tally version. */
  readonly version: string;
}

/** A worker became known, or came back with other capabilities. */
export interface WorkerRegistered {
  readonly type: 'WorkerRegistered';
  readonly data: Capabilities & { readonly name: string };
}

/** The worker connected and can take work. */
export interface WorkerConnected {
  readonly type: 'WorkerConnected';
  readonly data: { readonly name: string };
}

/** The worker said goodbye. */
export interface WorkerDisconnected {
  readonly type: 'WorkerDisconnected';
  readonly data: { readonly name: string };
}

/** The dispatcher stopped hearing the worker's heartbeats; its attempts are given up. */
export interface WorkerLost {
  readonly type: 'WorkerLost';
  readonly data: { readonly name: string; readonly lastSeenAt: IsoTime };
}

/** Someone asked that the worker gets no new work (it finishes what it has). */
export interface WorkerDrained {
  readonly type: 'WorkerDrained';
  readonly data: { readonly name: string; readonly by: Actor };
}

/** A drained worker takes work again. */
export interface WorkerResumed {
  readonly type: 'WorkerResumed';
  readonly data: { readonly name: string; readonly by: Actor };
}

/** The worker is forgotten; it may register again. */
export interface WorkerRemoved {
  readonly type: 'WorkerRemoved';
  readonly data: { readonly name: string; readonly by: Actor };
}

/** Every event of a worker stream. */
export type WorkerEvent =
  | WorkerRegistered
  | WorkerConnected
  | WorkerDisconnected
  | WorkerLost
  | WorkerDrained
  | WorkerResumed
  | WorkerRemoved;
