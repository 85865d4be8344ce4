/** Schemas of the specification commands: register, update, remove, activate, deactivate, evaluate. */
import { Type } from 'typebox';
import { namePattern } from '../../../domain/specification/validate.ts';
import {
  CommandResult,
  IfMatchHeaders,
  ifMatchHeader,
  ifMatchRefused,
  WhyBody,
} from '../../commands/schemas.ts';
import { problemResponses } from '../../problem.ts';

const SpecParams = Type.Object({
  name: Type.String({ pattern: namePattern.source, description: 'The specification name' }),
});

/** Checked by `validateSpecification`, so every problem comes back as a 422 naming its field. */
const SpecBody = Type.Record(Type.String(), Type.Unknown(), {
  description:
    'A specification: name, channels [{ name, url, branch | branchPattern }], evaluator { kind, entry }, systems, ' +
    'and optionally priority, pollingPeriodSeconds, buildLimits, retries, keepEvaluations, active, ' +
    'notifications [{ kind: "webhook", url }] (each evaluation\'s end is POSTed there, signed with the farm\'s key)',
});

const security = [{ bearer: [] }];
const tags = ['specs'];
const writeProblems = problemResponses(400, 401, 403, 404, 409, 422, 500, 503);

export const registerSpecSchema = {
  summary: 'Register a specification',
  tags,
  security,
  headers: ifMatchHeader(
    "The revision of the specification's stream the registration expects, as for any other write to it: " +
      'useful only to register a removed specification again unless someone else did first. A name never ' +
      'registered has no stream, so any If-Match is 409; leave it out to register a new name.',
  ),
  body: SpecBody,
  response: { 201: CommandResult, ...writeProblems },
};

export const updateSpecSchema = {
  summary: "Replace a specification's settings (its active flag is kept)",
  tags,
  security,
  params: SpecParams,
  headers: IfMatchHeaders,
  body: SpecBody,
  response: { 200: CommandResult, ...writeProblems },
};

export const removeSpecSchema = {
  summary: 'Remove a specification',
  tags,
  security,
  params: SpecParams,
  headers: IfMatchHeaders,
  response: { 200: CommandResult, ...writeProblems },
};

export const toggleSpecSchema = (summary: string) => ({
  summary,
  tags,
  security,
  params: SpecParams,
  headers: IfMatchHeaders,
  body: Type.Optional(WhyBody),
  response: { 200: CommandResult, ...writeProblems },
});

/** Why `POST /api/specs/:name/evaluate` takes no `If-Match`. */
export const evaluateIfMatch =
  'an evaluation is a new stream named by the request, so no earlier answer gave a revision of it';

export const evaluateSpecSchema = {
  summary: "Evaluate a specification now, on its channels' last checkouts",
  tags,
  security,
  params: SpecParams,
  headers: ifMatchRefused(evaluateIfMatch),
  response: {
    202: Type.Object({ ...CommandResult.properties, evaluationId: Type.String() }),
    ...writeProblems,
  },
};
