/**
 * The evaluation aggregate: turning a specification's checkouts into jobs.
 */
import type { Decider } from '../shared/decider.ts';
import type { EvaluationCommand } from './commands.ts';
import { decideEvaluation } from './decide.ts';
import type { EvaluationEvent } from './events.ts';
import { type EvaluationState, evolveEvaluation, initialEvaluationState } from './state.ts';

export * from './chunk-jobs.ts';
export * from './commands.ts';
export * from './events.ts';
export * from './job.ts';
export * from './schemas.ts';
export * from './state.ts';

/** The evaluation decider. */
export const evaluationDecider: Decider<EvaluationCommand, EvaluationEvent, EvaluationState> = {
  initialState: initialEvaluationState,
  evolve: evolveEvaluation,
  decide: decideEvaluation,
};
