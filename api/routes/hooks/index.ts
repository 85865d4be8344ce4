/**
 * `POST /api/hooks/:spec`: a forge's push webhook, verified against the specification's secret,
 * polls the specification at once (answering 202 before the poll ends). `POST /api/specs/:name/poll`
 * does the same for a person with a token and answers what the poll found.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { PollOutcome } from '../../../adapters/pipeline/poller/index.ts';
import { PollRefused } from '../../../adapters/pipeline/poller/index.ts';
import type { Trigger } from '../../../domain/evaluation/job.ts';
import { actorOf, refuseIfMatch } from '../../commands/run.ts';
import { ifMatchRefused } from '../../commands/schemas.ts';
import { ApiError, problemResponses } from '../../problem.ts';
import type { HookSecrets } from './secrets.ts';
import { verifySignature } from './signature.ts';

export { openHookSecrets } from './secrets.ts';

export interface HookRouteOptions {
  readonly poller: { pollNow(spec: string, trigger?: Trigger): Promise<PollOutcome> };
  readonly secrets: HookSecrets;
}

const Name = Type.Object({ spec: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }) });
const SpecName = Type.Object({ name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }) });

const hookSchema = {
  summary: "A forge's push webhook (GitHub, Gitea/Forgejo, GitLab): polls the specification now",
  tags: ['specs'],
  params: Name,
  response: {
    202: Type.Object({ spec: Type.String(), forge: Type.String(), polling: Type.Boolean() }),
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 500),
  },
};

const pollIfMatch = 'a poll records what the forge holds now, not a change made on an earlier answer';

const pollSchema = {
  summary: 'Poll a specification now and answer what was found',
  tags: ['specs'],
  security: [{ bearer: [] }],
  params: SpecName,
  headers: ifMatchRefused(pollIfMatch),
  response: {
    200: Type.Object({
      spec: Type.String(),
      detected: Type.Array(Type.String()),
      deleted: Type.Array(Type.String()),
      failed: Type.Array(
        Type.Object({ channel: Type.String(), reason: Type.String(), message: Type.String() }),
      ),
      evaluations: Type.Array(Type.String()),
    }),
    ...problemResponses(400, 401, 403, 404, 409, 500),
  },
};

const refusal = (error: unknown) =>
  error instanceof PollRefused ? new ApiError(error.code, error.message) : error;

export const hookRoutes: FastifyPluginAsyncTypebox<HookRouteOptions> = async (fastify, options) => {
  // The signature covers the exact bytes sent: keep them rather than a re-serialised object.
  fastify.addContentTypeParser(
    ['application/json', 'application/x-www-form-urlencoded'],
    { parseAs: 'buffer' },
    (_request, body, done) => done(null, body),
  );

  fastify.post('/api/hooks/:spec', { schema: hookSchema }, async (request, reply) => {
    const { spec } = request.params;
    const secret = await options.secrets.get(spec);
    if (secret === undefined)
      throw new ApiError(
        'TALLY_HOOK_NO_SECRET',
        `${spec} has no webhook secret: run \`tally hook secret ${spec}\` and give it to the forge`,
      );
    // Another content type was read as text, not kept as bytes: its signature cannot be checked.
    if (request.body !== undefined && !Buffer.isBuffer(request.body))
      throw new ApiError(
        'TALLY_API_UNSUPPORTED_MEDIA_TYPE',
        `the webhook was sent as ${request.headers['content-type']}; set the forge's content type to application/json`,
      );
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const forge = verifySignature(request.headers, body, secret);
    if (!forge)
      throw new ApiError(
        'TALLY_HOOK_BAD_SIGNATURE',
        `the webhook's signature does not match ${spec}'s secret; check the secret configured in the forge`,
      );
    try {
      const payload: unknown = JSON.parse(body.toString('utf8'));
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
        throw new Error('not an object');
    } catch {
      throw new ApiError(
        'TALLY_HOOK_MALFORMED_PAYLOAD',
        "the webhook body is not a JSON object; send the forge's push payload as application/json",
      );
    }
    const polling = options.poller.pollNow(spec, { kind: 'webhook', by: forge });
    // The answer does not wait for git; a refusal known at once (unknown spec) is still reported.
    const refused = await Promise.race([
      polling.then(() => undefined, refusal),
      new Promise((resolve) => setImmediate(resolve, undefined)),
    ]);
    if (refused instanceof ApiError) throw refused;
    polling.catch((error) => request.log.warn({ err: error, spec }, 'the webhook poll failed'));
    return reply.status(202).send({ spec, forge, polling: true });
  });

  fastify.post('/api/specs/:name/poll', { schema: pollSchema }, async (request) => {
    refuseIfMatch(request, pollIfMatch);
    const by = actorOf(request);
    try {
      const { spec, detected, deleted, failed, evaluations } = await options.poller.pollNow(
        request.params.name,
        {
          kind: 'manual',
          by,
        },
      );
      return {
        spec,
        detected: [...detected],
        deleted: [...deleted],
        failed: [...failed],
        evaluations: [...evaluations],
      };
    } catch (error) {
      throw refusal(error);
    }
  });
};
