/** Schemas of `POST /api/builds/:id/restart` and `/cancel`. */
import { Type } from 'typebox';
import { CommandResult, IfMatchHeaders, WhyBody } from '../../commands/schemas.ts';
import { problemResponses } from '../../problem.ts';

export const BuildParams = Type.Object({
  id: Type.String({
    pattern: '^[0-9abcdfghijklmnpqrsvwxyz]{32}$',
    description: "The hash part of the build's derivation path",
  }),
});

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
