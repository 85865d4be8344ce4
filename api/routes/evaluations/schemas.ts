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

const Delivery = Type.Object(
  {
    notificationId: Type.String({
      description: 'The stream notification-<id>, and the X-Tally-Notification-Id sent',
    }),
    target: Type.String({ description: "The webhook's URL" }),
    status: Type.Union(
      [Type.Literal('none'), Type.Literal('sent'), Type.Literal('retrying'), Type.Literal('abandoned')],
      {
        description: 'none: nothing recorded yet (the evaluation has not ended, or the report is on its way)',
      },
    ),
    attempts: Type.Integer({ minimum: 0 }),
    lastFailure: Type.Optional(
      Type.Object({
        reason: Type.String(),
        detail: Type.String(),
        retryAt: Type.Optional(Type.String({ description: 'When it is tried again' })),
      }),
    ),
  },
  { additionalProperties: false },
);

export const evaluationNotificationsSchema = {
  summary: "How the evaluation's report reached each of its specification's current webhooks",
  tags: ['evaluations'],
  params: Params,
  response: {
    200: Type.Object({ notifications: list(Delivery) }),
    ...problemResponses(400, 404, 500, 503),
  },
};
