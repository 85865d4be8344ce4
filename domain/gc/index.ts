/**
 * The garbage-collection aggregate: one run that frees the store of outputs no root keeps.
 */
import type { Decider } from '../shared/decider.ts';
import type { GcCommand } from './commands.ts';
import { decideGc } from './decide.ts';
import type { GcEvent } from './events.ts';
import { evolveGc, type GcState, initialGcState } from './state.ts';

export * from './commands.ts';
export * from './events.ts';
export * from './schemas.ts';
export * from './state.ts';

/** The garbage-collection decider. */
export const gcDecider: Decider<GcCommand, GcEvent, GcState> = {
  initialState: initialGcState,
  evolve: evolveGc,
  decide: decideGc,
};
