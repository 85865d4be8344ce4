/** Schemas of `GET /api/queue`. */
import { Type } from 'typebox';
import { problemResponses } from '../../problem.ts';
import { At, limitOf, list } from '../../read-models/schemas.ts';

const Counts = {
  runnable: Type.Integer(),
  deferred: Type.Integer(),
  blocked: Type.Integer(),
};

export const QueueEntry = Type.Object({
  drvPath: Type.String(),
  system: Type.String(),
  priority: Type.Number(),
  queuedAt: Type.String(),
  runnable: Type.Boolean(),
  notBefore: Type.Optional(Type.String()),
  waitingOn: list(Type.String()),
});

export const QueueView = Type.Object({
  ...Counts,
  lanes: list(
    Type.Object({
      system: Type.String(),
      priority: Type.Number(),
      ...Counts,
      workers: Type.Integer({
        description: 'Workers that could take its builds now: connected, neither drained nor removed',
      }),
    }),
  ),
  unserved: list(Type.String(), {
    description:
      'Systems with builds queued that no connected worker builds: they wait until one that does connects',
  }),
  items: Type.Optional(list(QueueEntry, { description: "One page of `system`'s queue, when asked" })),
  nextCursor: Type.Optional(Type.String()),
});

export const queueSchema = {
  summary: 'The build queue: counts per system and priority, and a page of one system',
  tags: ['queue'],
  querystring: Type.Object({
    system: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'List this system' })),
    runnable: Type.Optional(Type.Boolean()),
    limit: limitOf(1000, 100),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    at: At,
  }),
  response: { 200: QueueView, ...problemResponses(400, 422, 500, 503) },
};
