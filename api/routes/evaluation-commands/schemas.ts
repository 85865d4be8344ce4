/** Schemas of `POST /api/evaluations/:id/cancel` and `/restart-failed`. */
import { Type } from 'typebox';
import { CommandResult, IfMatchHeaders, ifMatchRefused, WhyBody } from '../../commands/schemas.ts';
import { problemResponses } from '../../problem.ts';

const EvaluationParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 256, pattern: '^\\S+$', description: 'The evaluation id' }),
});

const security = [{ bearer: [] }];
const tags = ['evaluations'];

export const cancelEvaluationSchema = {
  summary: 'Abort an evaluation that has not ended',
  tags,
  security,
  params: EvaluationParams,
  headers: IfMatchHeaders,
  body: Type.Optional(WhyBody),
  response: { 200: CommandResult, ...problemResponses(400, 401, 403, 404, 409, 500, 503) },
};

export const RestartFailedResult = Type.Object({
  evaluationId: Type.String(),
  restarted: Type.Integer({ description: 'How many failed builds were queued again' }),
  builds: Type.Array(
    Type.Object({
      id: Type.String(),
      drvPath: Type.String(),
      revision: Type.Integer(),
      position: Type.Integer(),
    }),
  ),
  requeued: Type.Array(Type.String(), {
    description:
      'Failed builds brought back while this ran: by the farm, when the failed dependency they failed with was restarted, or by someone else',
  }),
  skipped: Type.Array(Type.String(), {
    description: 'Failed builds that other writes kept changing while this ran; left alone',
  }),
  position: Type.Union([Type.Integer(), Type.Null()], { description: 'The last $all position written' }),
});

/** Why `POST /api/evaluations/:id/restart-failed` takes no `If-Match`. */
export const restartFailedIfMatch =
  'each failed build is restarted at the revision it was read at (one stream per build, not the evaluation’s), and read again if it changed meanwhile';

export const restartFailedSchema = {
  summary: 'Restart every failed build of an evaluation',
  tags,
  security,
  params: EvaluationParams,
  headers: ifMatchRefused(restartFailedIfMatch),
  body: Type.Optional(WhyBody),
  response: { 200: RestartFailedResult, ...problemResponses(400, 401, 403, 404, 500, 503) },
};
