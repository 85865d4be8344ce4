/** Schemas of `POST /api/workers/:name/drain|resume` and `DELETE /api/workers/:name`. */
import { Type } from 'typebox';
import { CommandResult, IfMatchHeaders } from '../../commands/schemas.ts';
import { problemResponses } from '../../problem.ts';

const WorkerParams = Type.Object({
  name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$', description: 'The worker name' }),
});

const workerCommandSchema = (summary: string) => ({
  summary,
  tags: ['workers'],
  security: [{ bearer: [] }],
  params: WorkerParams,
  headers: IfMatchHeaders,
  response: { 200: CommandResult, ...problemResponses(400, 401, 403, 404, 409, 500, 503) },
});

export const drainWorkerSchema = workerCommandSchema('Give a worker no new work (its running builds finish)');
export const resumeWorkerSchema = workerCommandSchema('Give a drained worker work again');
export const removeWorkerSchema = workerCommandSchema('Forget a worker');
