/**
 * Commands to a collection stream, from the GC process (or an operator starting one).
 */
import type { Actor } from '../shared/metadata.ts';
import type { IsoTime } from '../shared/time.ts';
import type { CollectedPath, GcFailureReason, GcPolicy } from './events.ts';

interface Issued {
  readonly at: IsoTime;
  readonly actor: Actor;
  readonly gcId: string;
}

export interface StartGc extends Issued {
  readonly type: 'StartGc';
  readonly policy: GcPolicy;
}

/** Record the next chunk of removed paths. */
export interface CollectGcPaths extends Issued {
  readonly type: 'CollectGcPaths';
  readonly chunk: number;
  readonly paths: readonly CollectedPath[];
}

export interface FinishGc extends Issued {
  readonly type: 'FinishGc';
}

export interface FailGc extends Issued {
  readonly type: 'FailGc';
  readonly reason: GcFailureReason;
  readonly detail: string;
}

/** Every command a collection stream accepts. */
export type GcCommand = StartGc | CollectGcPaths | FinishGc | FailGc;
