/** Schemas of `GET /api/jobs/:spec/:job/latest`. */
import { Type } from 'typebox';
import { problemResponses } from '../../problem.ts';
import { EvaluationJob, SpecName } from '../../read-models/evaluation-schemas.ts';
import { At } from '../../read-models/schemas.ts';

export const LatestJob = Type.Object({
  ...EvaluationJob.properties,
  evaluationId: Type.String(),
  evaluationStatus: Type.Enum(['requested', 'started', 'completed', 'failed', 'aborted']),
});

export const latestJobSchema = {
  summary: 'A job in the newest completed evaluation of a specification that has it',
  tags: ['jobs'],
  params: Type.Object({ spec: SpecName, job: Type.String({ minLength: 1, maxLength: 512 }) }),
  querystring: Type.Object({ at: At }),
  response: { 200: LatestJob, ...problemResponses(400, 422, 404, 500, 503) },
};
