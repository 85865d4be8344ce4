/**
 * The specification aggregate: a jobset's registration, settings, pauses and removal.
 */
import type { Decider } from '../shared/decider.ts';
import type { SpecificationCommand } from './commands.ts';
import { decideSpecification } from './decide.ts';
import type { SpecificationEvent } from './events.ts';
import { evolveSpecification, initialSpecificationState, type SpecificationState } from './state.ts';

export * from './commands.ts';
export * from './events.ts';
export * from './line.ts';
export * from './schemas.ts';
export * from './specification.ts';
export * from './state.ts';
export * from './validate.ts';

/** The specification decider. */
export const specificationDecider: Decider<SpecificationCommand, SpecificationEvent, SpecificationState> = {
  initialState: initialSpecificationState,
  evolve: evolveSpecification,
  decide: decideSpecification,
};
