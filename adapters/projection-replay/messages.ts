/** What a replay thread is given, and what it posts back. */
import type { LogLayout } from '../ledger/storage/file/index.ts';

export interface ReplayThreadData {
  /** Where the ledger's records lie; the calling process holds the directory's lock for the run. */
  readonly layout: LogLayout;
  /** Names of the catalogue's projections this thread folds. */
  readonly projections: readonly string[];
  /** The last position folded in (inclusive). */
  readonly upTo: number;
  readonly progressEvery: number;
  /** Where to save each rebuilt state as its projection's snapshot; absent: only hash them. */
  readonly snapshotDirectory?: string;
}

/** An event no projection of the thread could read: where, and why. */
export interface SkippedAt {
  readonly position: number;
  /** Its stream, for `tally events show`. */
  readonly stream: string;
  readonly reason: string;
}

export type ReplayThreadMessage =
  | { readonly kind: 'progress'; readonly events: number; readonly position: number }
  /** Every event folded in; the states are being hashed. */
  | { readonly kind: 'replayed' }
  | {
      readonly kind: 'done';
      readonly events: number;
      readonly position: number;
      /** Each projection's state hash (`hashState`). */
      readonly hashes: Readonly<Record<string, string>>;
      readonly skipped: readonly SkippedAt[];
      /** How long saving the snapshots took (0 when none were asked for). */
      readonly savedMs: number;
    }
  | { readonly kind: 'failed'; readonly code?: string; readonly message: string };

/** What the layout thread is given: the ledger directory, whose lock the calling thread holds. */
export interface LayoutThreadData {
  readonly ledgerDirectory: string;
}

export type LayoutThreadMessage =
  | { readonly kind: 'laid-out'; readonly head: number; readonly layout: LogLayout }
  | { readonly kind: 'failed'; readonly code?: string; readonly message: string };
