/**
 * Events of a garbage collection's stream (`gc-<id>`): one run that removes outputs no root keeps.
 */
import type { IsoTime } from '../shared/time.ts';

/** What a collection may remove. */
export interface GcPolicy {
  /** Outputs of each specification's latest `keepEvaluations` evaluations are roots. */
  readonly keepEvaluations: number;
  /** Paths younger than this are kept, whatever roots say. */
  readonly gracePeriodSeconds: number;
  /** Stop once this many bytes are freed. */
  readonly maxFreedBytes?: number;
  /** Record what would be removed, remove nothing. */
  readonly dryRun: boolean;
}

/** One store path removed (or, in a dry run, that would be). */
export interface CollectedPath {
  readonly path: string;
  readonly bytes: number;
}

/** Why a collection stopped early. */
export type GcFailureReason =
  /** Reading or deleting in the store failed (a full or read-only disk). */
  | 'io-error'
  /** Another collection or a writer held the store's lock. */
  | 'store-locked'
  /** The process stopped before the collection ended. */
  | 'interrupted';

/** A collection began. */
export interface GcStarted {
  readonly type: 'GcStarted';
  readonly data: { readonly gcId: string; readonly policy: GcPolicy; readonly startedAt: IsoTime };
}

/** A chunk of paths was collected, in order. */
export interface GcPathsCollected {
  readonly type: 'GcPathsCollected';
  readonly data: { readonly gcId: string; readonly chunk: number; readonly paths: readonly CollectedPath[] };
}

/** The collection ended; the totals are over every chunk. */
export interface GcFinished {
  readonly type: 'GcFinished';
  readonly data: { readonly gcId: string; readonly freedBytes: number; readonly pathCount: number };
}

/** The collection stopped early; the chunks recorded before stand. */
export interface GcFailed {
  readonly type: 'GcFailed';
  readonly data: { readonly gcId: string; readonly reason: GcFailureReason; readonly detail: string };
}

/** Every event of a collection stream. */
export type GcEvent = GcStarted | GcPathsCollected | GcFinished | GcFailed;
