/** Schemas of `GET /api/diff?from=EVAL&to=EVAL`. */
import { Type } from 'typebox';
import { problemResponses } from '../../problem.ts';
import { EvaluationId, EvaluationSummary, JobStatus } from '../../read-models/evaluation-schemas.ts';
import { At, list } from '../../read-models/schemas.ts';

const Side = Type.Object({ drvPath: Type.String(), status: JobStatus });
const Entry = Type.Object({ job: Type.String(), from: Type.Optional(Side), to: Type.Optional(Side) });

export const DiffView = Type.Object({
  from: EvaluationSummary,
  to: EvaluationSummary,
  jobs: Type.Object({
    'newly-failing': list(Entry),
    'newly-succeeding': list(Entry),
    'still-failing': list(Entry),
    'still-succeeding': list(Entry),
    unfinished: list(Entry),
    added: list(Entry),
    removed: list(Entry),
  }),
});

export const diffSchema = {
  summary: 'Two evaluations compared job by job (of two specifications, or two branches of one)',
  tags: ['evaluations'],
  querystring: Type.Object({ from: EvaluationId, to: EvaluationId, at: At }),
  response: { 200: DiffView, ...problemResponses(400, 422, 404, 500, 503) },
};
