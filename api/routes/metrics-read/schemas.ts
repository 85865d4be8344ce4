/** Schemas of `GET /api/metrics` (the read model's figures as JSON; Prometheus reads `/metrics`). */
import { Type } from 'typebox';
import { problemResponses } from '../../problem.ts';
import { At, list, openObject } from '../../read-models/schemas.ts';

export const MetricsView = Type.Object({
  queueLength: Type.Integer(),
  totals: openObject({}, 'Counts since the first event'),
  days: list(openObject({ day: Type.String() }), { description: 'Oldest first' }),
  hours: list(
    Type.Object({ hour: Type.String(), queueLength: Type.Number(), maxQueueLength: Type.Number() }),
  ),
});

export const metricsSchema = {
  summary: "The farm's figures per day and hour (Cuirass's metrics)",
  tags: ['metrics'],
  querystring: Type.Object({
    days: Type.Integer({ minimum: 1, maximum: 365, default: 7 }),
    at: At,
  }),
  response: { 200: MetricsView, ...problemResponses(400, 422, 500, 503) },
};
