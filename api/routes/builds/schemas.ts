/** Schemas of `GET /api/builds`, `/api/builds/:id` and `/api/builds/:id/log`. */
import { Type } from 'typebox';
import { problemResponses } from '../../problem.ts';
import { BuildStatus, SpecName } from '../../read-models/evaluation-schemas.ts';
import { At, limitOf, list, openObject } from '../../read-models/schemas.ts';

const Attempt = openObject({
  attemptId: Type.String(),
  worker: Type.String(),
  number: Type.Integer(),
  dispatchedAt: Type.String(),
  startedAt: Type.Optional(Type.String()),
  finishedAt: Type.Optional(Type.String()),
  result: Type.Optional(Type.String()),
  logRef: Type.Optional(Type.String()),
  logBytes: Type.Optional(Type.Number()),
});

/** Tally's build document. */
const buildFields = {
  id: Type.Integer(),
  hash: Type.String(),
  drvPath: Type.String(),
  system: Type.String(),
  status: BuildStatus,
  priority: Type.Number(),
  queuedAt: Type.String(),
  finishedAt: Type.Optional(Type.String()),
  wantedBy: list(Type.Object({ spec: Type.String(), job: Type.String(), evaluation: Type.String() })),
  wantedCount: Type.Integer(),
  attempts: list(Attempt),
  outputs: Type.Optional(Type.Record(Type.String(), Type.String())),
  substitutedFrom: Type.Optional(Type.String()),
  failure: Type.Optional(openObject({})),
  failureMessage: Type.Optional(Type.String()),
  cancelledBy: Type.Optional(Type.String()),
  restarts: Type.Integer(),
};

/** Tally's document with Hydra's and Cuirass's fields beside it. */
export const HydraBuild = openObject({
  ...buildFields,
  job: Type.Union([Type.String(), Type.Null()]),
  jobset: Type.Union([Type.String(), Type.Null()]),
  derivation: Type.String(),
  nixname: Type.String(),
  buildstatus: Type.Union([Type.Integer(), Type.Null()]),
  finished: Type.Integer(),
  iscachedbuild: Type.Integer(),
  timestamp: Type.Integer(),
  starttime: Type.Union([Type.Integer(), Type.Null()]),
  stoptime: Type.Union([Type.Integer(), Type.Null()]),
  buildoutputs: Type.Record(Type.String(), Type.Object({ path: Type.String() })),
  jobsetevals: list(Type.String()),
});

/** A build's integer id, the hash part of its `.drv`, or (URL-encoded) its `.drv` path. */
export const BuildParams = Type.Object({
  id: Type.String({
    minLength: 1,
    maxLength: 512,
    description: "The build's integer id, the hash part of its derivation, or its URL-encoded .drv path",
  }),
});

export const searchBuildsSchema = {
  summary: 'Builds matching every filter given, newest first',
  description:
    'Each build as `GET /api/builds/:id` answers it: Tally’s fields with Hydra’s and Cuirass’s beside them. ' +
    'Pass `nextCursor` as `cursor` for the next page; the last page has none.',
  tags: ['builds'],
  querystring: Type.Object({
    job: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    system: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    status: Type.Optional(BuildStatus),
    spec: Type.Optional(SpecName),
    limit: limitOf(1000, 50),
    cursor: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: Number.MAX_SAFE_INTEGER,
        description: 'The `nextCursor` of the previous page: only builds with a smaller id',
      }),
    ),
    at: At,
  }),
  response: {
    200: Type.Object({ builds: list(HydraBuild), nextCursor: Type.Optional(Type.Integer()) }),
    ...problemResponses(400, 422, 500, 503),
  },
};

export const getBuildSchema = {
  summary: 'One build, with Hydra’s and Cuirass’s fields beside Tally’s',
  tags: ['builds'],
  params: BuildParams,
  querystring: Type.Object({ at: At }),
  response: { 200: HydraBuild, ...problemResponses(400, 422, 404, 500, 503) },
};

export const buildLogSchema = {
  summary: "An attempt's build log (the last attempt by default)",
  tags: ['builds'],
  produces: ['text/plain'],
  params: BuildParams,
  querystring: Type.Object({
    attempt: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    at: At,
  }),
  response: {
    200: Type.String({ description: 'The log, as text' }),
    ...problemResponses(400, 422, 404, 500, 503),
  },
};
