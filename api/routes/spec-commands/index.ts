/**
 * Specification commands: `POST /api/specs` (register), `PUT` and `DELETE /api/specs/:name`,
 * `POST /api/specs/:name/activate|deactivate` and `POST /api/specs/:name/evaluate` (a manual evaluation
 * of the channels' last checkouts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { evaluationDecider } from '../../../domain/evaluation/index.ts';
import { DomainError } from '../../../domain/shared/errors.ts';
import { streams } from '../../../domain/shared/streams.ts';
import {
  type Specification,
  specificationDecider,
  validateSpecification,
} from '../../../domain/specification/index.ts';
import { CommandRefused } from '../../commands/refusal.ts';
import { actorOf, readState, refuseIfMatch, runCommand } from '../../commands/run.ts';
import { lastCheckouts } from './last-checkouts.ts';
import {
  evaluateIfMatch,
  evaluateSpecSchema,
  registerSpecSchema,
  removeSpecSchema,
  toggleSpecSchema,
  updateSpecSchema,
} from './schemas.ts';

/** The body as a specification, or a 422 naming every field at fault. */
function specOf(body: unknown): Specification {
  const checked = validateSpecification(body);
  if (checked.ok) return checked.value;
  const name = (body as { name?: unknown }).name;
  const fields = checked.issues.map((issue) => `${issue.path || '(root)'} ${issue.message}`).join('; ');
  throw new DomainError(
    'TALLY_SPEC_INVALID',
    `${typeof name === 'string' ? `Specification ${JSON.stringify(name)}` : 'The specification (it has no name)'} is invalid: ${fields}`,
    checked.issues,
  );
}

const at = () => new Date().toISOString();

const specCommands: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/api/specs', { schema: registerSpecSchema }, async (request, reply) => {
    const spec = specOf(request.body);
    const command = { type: 'RegisterSpecification', spec, actor: actorOf(request), at: at() } as const;
    const result = await runCommand(
      fastify,
      request,
      reply,
      specificationDecider,
      streams.spec(spec.name),
      command,
    );
    return reply.status(201).header('location', `/api/specs/${spec.name}`).send(result);
  });

  fastify.put('/api/specs/:name', { schema: updateSpecSchema }, async (request, reply) => {
    const { name } = request.params;
    const named = (request.body as { name?: unknown }).name;
    if (named !== undefined && named !== name)
      throw new DomainError(
        'TALLY_SPEC_RENAME',
        `The body names ${JSON.stringify(named)} but the path ${JSON.stringify(name)}: a specification cannot be renamed`,
      );
    const spec = specOf({ ...request.body, name });
    const command = { type: 'UpdateSpecification', spec, actor: actorOf(request), at: at() } as const;
    return runCommand(fastify, request, reply, specificationDecider, streams.spec(name), command, true);
  });

  fastify.delete('/api/specs/:name', { schema: removeSpecSchema }, async (request, reply) => {
    const { name } = request.params;
    const command = { type: 'RemoveSpecification', name, actor: actorOf(request), at: at() } as const;
    return runCommand(fastify, request, reply, specificationDecider, streams.spec(name), command);
  });

  // Activation and deactivation differ only in the command they send.
  for (const [path, type, summary] of [
    ['activate', 'ActivateSpecification', 'Resume polling and scheduling a specification'],
    ['deactivate', 'DeactivateSpecification', 'Stop polling and scheduling a specification'],
  ] as const) {
    fastify.post(
      `/api/specs/:name/${path}`,
      { schema: toggleSpecSchema(summary) },
      async (request, reply) => {
        const { name } = request.params;
        const why = request.body?.why === undefined ? {} : { why: request.body.why };
        const command = { type, name, ...why, actor: actorOf(request), at: at() };
        return runCommand(fastify, request, reply, specificationDecider, streams.spec(name), command);
      },
    );
  }

  fastify.post('/api/specs/:name/evaluate', { schema: evaluateSpecSchema }, async (request, reply) => {
    refuseIfMatch(request, evaluateIfMatch);
    const { name } = request.params;
    const { state } = await readState(fastify.eventStore, specificationDecider, streams.spec(name));
    if (state.status !== 'active' && state.status !== 'inactive')
      throw new DomainError(
        'TALLY_SPEC_NOT_FOUND',
        `No specification is registered as ${JSON.stringify(name)}`,
      );
    if (state.status === 'inactive')
      throw new CommandRefused('TALLY_SPEC_INACTIVE', `The specification ${name} is deactivated`);
    const checkouts = await lastCheckouts(fastify.eventStore, state.spec);
    if (checkouts.length === 0)
      throw new CommandRefused('TALLY_SPEC_NOT_POLLED_YET', `No checkout of ${name} has been detected yet`);
    const actor = actorOf(request);
    const evaluationId = String(request.id);
    const command = {
      type: 'RequestEvaluation',
      evaluationId,
      spec: name,
      trigger: { kind: 'manual', by: actor },
      checkouts,
      actor,
      at: at(),
    } as const;
    const stream = streams.evaluation(evaluationId);
    const result = await runCommand(fastify, request, reply, evaluationDecider, stream, command);
    return reply
      .status(202)
      .header('location', `/api/evaluations/${evaluationId}`)
      .send({ ...result, evaluationId });
  });
};

export default specCommands;
