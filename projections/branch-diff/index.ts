/**
 * Branch diffs: a query over the evaluations read model, with no state of its own.
 */
import { diffEvaluations } from './diff.ts';

export type * from './diff.ts';

export const branchDiffQueries = { diffEvaluations };
