/** Schemas of `GET /api/workers` and `GET /api/workers/:name`. */
import { Type } from 'typebox';
import { problemResponses } from '../../problem.ts';
import { At, list, openObject } from '../../read-models/schemas.ts';

const Utilisation = Type.Object({
  windowMs: Type.Number(),
  busyMs: Type.Number(),
  ratio: Type.Number(),
  attemptMs: Type.Number(),
  complete: Type.Boolean(),
});

export const WorkerView = openObject({
  name: Type.String(),
  status: Type.Enum(['connected', 'disconnected', 'lost', 'drained', 'removed']),
  connection: Type.String(),
  drained: Type.Boolean(),
  systems: list(Type.String()),
  cores: Type.Number(),
  memoryBytes: Type.Number(),
  diskBytes: Type.Number(),
  version: Type.String(),
  current: list(
    Type.Object({
      drvPath: Type.String(),
      attemptId: Type.String(),
      attempt: Type.Integer(),
      dispatchedAt: Type.String(),
      startedAt: Type.Optional(Type.String()),
    }),
  ),
  lastContact: Type.String(),
  utilisation: Type.Object({ lastHour: Utilisation, lastDay: Utilisation }),
});

const AtQuery = Type.Object({ at: At });

export const listWorkersSchema = {
  summary: 'Every worker the farm knows, with what it builds now and how busy it was',
  tags: ['workers'],
  querystring: AtQuery,
  response: { 200: Type.Object({ workers: list(WorkerView) }), ...problemResponses(400, 422, 500, 503) },
};

export const getWorkerSchema = {
  summary: 'One worker',
  tags: ['workers'],
  params: Type.Object({ name: Type.String({ minLength: 1, maxLength: 256 }) }),
  querystring: AtQuery,
  response: { 200: WorkerView, ...problemResponses(400, 422, 404, 500, 503) },
};
