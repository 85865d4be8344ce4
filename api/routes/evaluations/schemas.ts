/** Schemas of `GET /api/evaluations/:id` and `/api/evaluations/:id/jobs`. */
import { Type } from 'typebox';
import { problemResponses } from '../../problem.ts';
import {
  EvaluationId,
  EvaluationJob,
  EvaluationSummary,
  JobStatus,
} from '../../read-models/evaluation-schemas.ts';
import { At, limitOf, list } from '../../read-models/schemas.ts';

const Params = Type.Object({ id: EvaluationId });

export const getEvaluationSchema = {
  summary: 'One evaluation: trigger, checkouts, timings, how it ended and its job counts',
  tags: ['evaluations'],
  params: Params,
  querystring: Type.Object({ at: At }),
  response: { 200: EvaluationSummary, ...problemResponses(400, 422, 404, 500, 503) },
};

export const evaluationJobsSchema = {
  summary: "A page of an evaluation's jobs by name, optionally of one build status",
  tags: ['evaluations'],
  params: Params,
  querystring: Type.Object({
    status: Type.Optional(JobStatus),
    limit: limitOf(5000, 100),
    cursor: Type.Optional(
      Type.String({ minLength: 1, maxLength: 1024, description: 'nextCursor of the previous page' }),
    ),
    at: At,
  }),
  response: {
    200: Type.Object({ jobs: list(EvaluationJob), nextCursor: Type.Optional(Type.String()) }),
    ...problemResponses(400, 422, 404, 500, 503),
  },
};
