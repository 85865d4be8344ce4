/**
 * The one error handler: every failure, and every unknown route, becomes an
 * `application/problem+json` response with a stable code. Unexpected failures are logged with the
 * request id (the request logger carries it) and answered with a body that says nothing about them.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { wasCutOff } from '../client-errors.ts';
import { apiErrors, type Problem } from '../problem.ts';
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

/** The client went away while its body was being read: nothing failed on the server's side. */
export function clientClosed(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === 'ECONNRESET' || code === 'ECONNABORTED';
}

/**
 * The answer to a request whose connection closed while its body was read: logged as what it is (the
 * client's leaving, or the server's own 408 for a body that stopped arriving, already sent), never as
 * a failure. The problem is for the record: nobody reads it.
 */
export function cutShort(request: FastifyRequest): ProblemOfError {
  if (!wasCutOff(request))
    request.log.info({ code: 'TALLY_API_CLIENT_CLOSED' }, 'the client closed the connection mid-request');
  return {
    ...apiErrors.TALLY_API_CLIENT_CLOSED,
    code: 'TALLY_API_CLIENT_CLOSED',
    detail: 'the connection closed before the request was read in full',
  };
}

/** The methods a route may be declared for, in the order `Allow` lists them. */
const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

async function errors(fastify: FastifyInstance): Promise<void> {
  fastify.setErrorHandler((error, request, reply) => {
    if (clientClosed(error)) return sendProblem(request, reply, cutShort(request));
    const problem = withBodyLimit(problemOfError(error), request);
    if (problem.internal) {
      request.log.error({ err: error, code: problem.code }, 'request failed');
    } else {
      request.log.info({ code: problem.code, status: problem.status }, 'request refused');
    }
    return sendProblem(request, reply, problem);
  });

  fastify.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0]!;
    // A path that exists under other methods is a 405 naming them, not a 404 (RFC 9110, 15.5.6).
    const allowed = methods.filter((method) => fastify.findRoute({ method, url: path }) !== null);
    // A route of this very method that answered "not found" itself (`callNotFound`) stays a 404.
    if (allowed.length > 0 && !allowed.includes(request.method as (typeof methods)[number]))
      return sendProblem(request, reply, {
        status: 405,
        code: 'TALLY_API_METHOD_NOT_ALLOWED',
        title: 'Method not allowed',
        detail: `${path} answers ${allowed.join(', ')}, not ${request.method}`,
        headers: { allow: allowed.join(', ') },
      });
    return sendProblem(request, reply, {
      status: 404,
      code: 'TALLY_API_NOT_FOUND',
      title: 'Not found',
      detail: `no route for ${request.method} ${path}`,
    });
  });
}

export default fp(errors, { name: 'tally-errors', fastify: '5.x' });
