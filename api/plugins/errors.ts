/**
 * The one error handler: every failure, and every unknown route, becomes an
 * `application/problem+json` response with a stable code. Unexpected failures are logged with the
 * request id (the request logger carries it) and answered with a body that says nothing about them.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Problem } from '../problem.ts';
import { type ProblemOfError, problemOfError } from '../problem-of-error.ts';

export const problemContentType = 'application/problem+json; charset=utf-8';

/** Sends `problem` as the reply, for the error handler and the few routes that answer without throwing. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: ProblemOfError) {
  const body: Problem = {
    type: `urn:tally:problem:${problem.code}`,
    title: problem.title,
    status: problem.status,
    code: problem.code,
    detail: problem.detail,
    ...(problem.field ? { field: problem.field } : {}),
    ...(problem.issues ? { issues: problem.issues.map((issue) => ({ ...issue })) } : {}),
    requestId: String(request.id),
  };
  if (problem.headers) reply.headers(problem.headers);
  return reply.status(problem.status).type(problemContentType).send(body);
}

/** A body too large says how large a body may be: only the request's route knows its limit. */
function withBodyLimit(problem: ProblemOfError, request: FastifyRequest): ProblemOfError {
  if (problem.code !== 'TALLY_API_BODY_TOO_LARGE') return problem;
  const limit = request.routeOptions.bodyLimit;
  return {
    ...problem,
    detail: `the request body is larger than ${limit} bytes, the most this route accepts`,
  };
}

async function errors(fastify: FastifyInstance): Promise<void> {
  fastify.setErrorHandler((error, request, reply) => {
    const problem = withBodyLimit(problemOfError(error), request);
    if (problem.internal) {
      request.log.error({ err: error, code: problem.code }, 'request failed');
    } else {
      request.log.info({ code: problem.code, status: problem.status }, 'request refused');
    }
    return sendProblem(request, reply, problem);
  });

  fastify.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, {
      status: 404,
      code: 'TALLY_API_NOT_FOUND',
      title: 'Not found',
      detail: `no route for ${request.method} ${request.url.split('?', 1)[0]}`,
    }),
  );
}

export default fp(errors, { name: 'tally-errors', fastify: '5.x' });
