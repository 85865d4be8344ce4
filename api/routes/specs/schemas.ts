/** Schemas of `GET /api/specs`, `/api/specs/:name` and `/api/specs/:name/evaluations`. */
import { Type } from 'typebox';
import { problemResponses } from '../../problem.ts';
import { EvaluationSummary, JobCounts, JobStatus, SpecName } from '../../read-models/evaluation-schemas.ts';
import { At, limitOf, list, openObject } from '../../read-models/schemas.ts';

const LastEvaluation = openObject({ id: Type.String(), status: Type.String() });

const LatestEvaluation = Type.Object({ id: Type.String(), finishedAt: Type.String(), counts: JobCounts });

/** One branch of a pattern channel (or a specification's only line), weathered apart from the others. */
const LineView = Type.Object({
  id: Type.String({ description: 'What ?line= takes: `channel:branch` per pattern channel, "" without one' }),
  branches: Type.Record(Type.String(), Type.String(), {
    description: 'The branch of each pattern channel its evaluations check out',
  }),
  lastEvaluation: Type.Optional(LastEvaluation),
  latestEvaluation: Type.Optional(LatestEvaluation),
  runningEvaluations: list(Type.String()),
});

export const SpecView = openObject({
  name: Type.String(),
  definition: openObject({}),
  active: Type.Boolean(),
  registeredAt: Type.String(),
  updatedAt: Type.String(),
  revision: Type.Integer({
    description: "The specification stream's revision: send it as If-Match to change it",
  }),
  channels: Type.Record(Type.String(), openObject({})),
  lastEvaluation: Type.Optional(LastEvaluation),
  latestEvaluation: Type.Optional(LatestEvaluation),
  runningEvaluations: list(Type.String()),
  lines: list(LineView),
});

const JobWeather = Type.Object({
  job: Type.String(),
  drvPath: Type.String(),
  status: JobStatus,
  previousStatus: Type.Optional(JobStatus),
  weather: Type.Enum(['new-failure', 'new-success', 'still-failing', 'still-succeeding', 'pending']),
});

const Params = Type.Object({ name: SpecName });

export const listSpecsSchema = {
  summary: 'Every specification (jobset) with its latest evaluation',
  tags: ['specs'],
  querystring: Type.Object({ at: At }),
  response: { 200: Type.Object({ specs: list(SpecView) }), ...problemResponses(400, 422, 500, 503) },
};

export const getSpecSchema = {
  summary: "One specification, with the weather of its latest evaluation's jobs within the evaluation's line",
  tags: ['specs'],
  params: Params,
  querystring: Type.Object({
    line: Type.Optional(
      Type.String({
        maxLength: 4096,
        description: "A line's id (spec.lines): the weather of that line's latest evaluation instead",
      }),
    ),
    at: At,
  }),
  response: {
    200: Type.Object({ spec: SpecView, jobs: list(JobWeather) }),
    ...problemResponses(400, 422, 404, 500, 503),
  },
};

export const specEvaluationsSchema = {
  summary: "A specification's evaluations, newest first",
  tags: ['specs', 'evaluations'],
  params: Params,
  querystring: Type.Object({
    limit: limitOf(500, 20),
    before: Type.Optional(
      Type.String({ minLength: 1, maxLength: 256, description: 'nextCursor of the previous page' }),
    ),
    at: At,
  }),
  response: {
    200: Type.Object({ evaluations: list(EvaluationSummary), nextCursor: Type.Optional(Type.String()) }),
    ...problemResponses(400, 422, 404, 500, 503),
  },
};
