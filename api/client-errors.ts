/**
 * Answers for requests that never became requests: what Node's HTTP parser refuses (malformed HTTP,
 * headers too large) and requests not received in full in time. No route runs for them, so they are
 * written to the socket here, as problem+json with a code like every other refusal; Fastify's own
 * answer for them is a bare JSON object without one.
 *
 * Node enforces the request timeout on the request line and headers only: a body that stops arriving
 * half-way is timed by `bodyDeadline`.
 */
import type { Socket } from 'node:net';
import type { onRequestHookHandler } from 'fastify';
import { apiErrors } from './problem.ts';

type ClientErrorCode = 'TALLY_API_REQUEST_TIMEOUT' | 'TALLY_API_HEADERS_TOO_LARGE' | 'TALLY_API_BAD_HTTP';

function problemFor(error: NodeJS.ErrnoException, requestTimeoutMs: number) {
  const code: ClientErrorCode =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? 'TALLY_API_REQUEST_TIMEOUT'
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? 'TALLY_API_HEADERS_TOO_LARGE'
        : 'TALLY_API_BAD_HTTP';
  const detail = {
    TALLY_API_REQUEST_TIMEOUT: `the request was not received in full within ${requestTimeoutMs / 1000} s; send it again, whole`,
    TALLY_API_HEADERS_TOO_LARGE: 'the request line and headers exceed 16 KiB; shorten the URL or the headers',
    TALLY_API_BAD_HTTP: `the request is not well-formed HTTP/1.1 (${error.code ?? 'unparsable'}); check the client`,
  }[code];
  const { status, title } = apiErrors[code];
  return { type: `urn:tally:problem:${code}`, title, status, code, detail };
}

/** Writes `error`'s problem to the socket and closes the connection. */
function answer(socket: Socket, error: NodeJS.ErrnoException, requestTimeoutMs: number): void {
  const problem = problemFor(error, requestTimeoutMs);
  const body = JSON.stringify(problem);
  socket.end(
    `HTTP/1.1 ${problem.status} ${problem.title}\r\nConnection: close\r\n` +
      `Content-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Fastify's `clientErrorHandler`: a problem for the client, and the connection closed. */
export function answerClientError(requestTimeoutMs: number) {
  return (error: NodeJS.ErrnoException, socket: Socket): void => {
    // The client is gone already: there is nobody to answer.
    if (error.code === 'ECONNRESET' || !socket.writable) socket.destroy();
    else answer(socket, error, requestTimeoutMs);
  };
}

/**
 * An `onRequest` hook: a request whose body has not arrived in full `requestTimeoutMs` after its
 * headers is answered 408 and its connection closed, before any route has answered it. Requests
 * without a body are not timed.
 */
export function bodyDeadline(requestTimeoutMs: number): onRequestHookHandler {
  return (request, reply, done) => {
    const { raw } = request;
    const length = raw.headers['content-length'];
    const hasBody =
      (length !== undefined && length !== '0') || raw.headers['transfer-encoding'] !== undefined;
    if (!hasBody || raw.complete) return done();
    const timer = setTimeout(() => {
      if (raw.complete || reply.raw.headersSent) return;
      request.log.info(
        { code: 'TALLY_API_REQUEST_TIMEOUT' },
        'the request body did not arrive in full in time',
      );
      const timeout = Object.assign(new Error('request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
      answer(raw.socket, timeout, requestTimeoutMs);
    }, requestTimeoutMs);
    const stop = () => clearTimeout(timer);
    raw.once('end', stop);
    raw.once('close', stop);
    reply.raw.once('close', stop);
    done();
  };
}
