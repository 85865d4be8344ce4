/** Schemas of `POST /api/builds/:id/restart` and `/cancel`. */
import { Type } from 'typebox';
import { CommandResult, IfMatchHeaders, WhyBody } from '../../commands/schemas.ts';
import { problemResponses } from '../../problem.ts';
import { BuildParams } from '../builds/schemas.ts';

const buildCommandSchema = (summary: string) => ({
  summary,
  tags: ['builds'],
  security: [{ bearer: [] }],
  params: BuildParams,
  headers: IfMatchHeaders,
  body: Type.Optional(WhyBody),
  response: { 200: CommandResult, ...problemResponses(400, 401, 403, 404, 409, 500, 503) },
});

export const restartBuildSchema = buildCommandSchema('Queue a finished build again');
export const cancelBuildSchema = buildCommandSchema('Stop a build that has not finished');
