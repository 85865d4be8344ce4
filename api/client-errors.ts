/**
 * Answers for requests that never became requests: what Node's HTTP parser refuses (malformed HTTP,
 * headers too large, headers not received in time) and bodies that stop arriving. No route runs for
 * them, so they are written to the socket here, as problem+json with a code like every other refusal
 * (Fastify's own answer for them is a bare JSON object without one), and the connection is closed.
 *
 * Node times the request line and headers (`headersTimeout`) but, as measured on Node 20 here, not a
 * body that stops half-way: `bodyIdleDeadline` times that. It times silence, not the whole body, so a
 * large NAR uploaded to the cache over a slow link is never cut off while its bytes keep coming.
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Logger } from 'pino';
import { apiErrors } from './problem.ts';

type ClientErrorCode = 'TALLY_API_REQUEST_TIMEOUT' | 'TALLY_API_HEADERS_TOO_LARGE' | 'TALLY_API_BAD_HTTP';

function problemFor(errorCode: string | undefined, idleMs: number, requestId: string) {
  const code: ClientErrorCode =
    errorCode === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? 'TALLY_API_REQUEST_TIMEOUT'
      : errorCode === 'HPE_HEADER_OVERFLOW'
        ? 'TALLY_API_HEADERS_TOO_LARGE'
        : 'TALLY_API_BAD_HTTP';
  const detail = {
    TALLY_API_REQUEST_TIMEOUT: `the request stopped arriving (nothing for ${idleMs / 1000} s, or headers not in full within the server's limit); send it again, whole`,
    TALLY_API_HEADERS_TOO_LARGE: 'the request line and headers exceed 16 KiB; shorten the URL or the headers',
    TALLY_API_BAD_HTTP: `the request is not well-formed HTTP/1.1 (${errorCode ?? 'unparsable'}); check the client`,
  }[code];
  const { status, title } = apiErrors[code];
  return { type: `urn:tally:problem:${code}`, title, status, code, detail, requestId };
}

/** A response already begun on this connection (Node's own handler looks at the same field). */
function responseStarted(socket: Socket): boolean {
  return (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
}

/**
 * Writes the problem for `errorCode` to the socket, unless a response was begun on it, and closes the
 * connection once it is written: nothing more is read from it.
 */
function answer(socket: Socket, errorCode: string | undefined, idleMs: number, requestId: string): void {
  if (!socket.writable || responseStarted(socket)) {
    socket.destroy();
    return;
  }
  const problem = problemFor(errorCode, idleMs, requestId);
  const body = JSON.stringify(problem);
  socket.end(
    `HTTP/1.1 ${problem.status} ${problem.title}\r\nConnection: close\r\n` +
      `Content-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}

/** Fastify's `clientErrorHandler`: a problem for the client, and the connection closed. */
export function answerClientError(idleMs: number, logger: Logger) {
  return (error: NodeJS.ErrnoException, socket: Socket): void => {
    // The client is gone already: there is nobody to answer.
    if (error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    // Not a request Fastify made, so no request id: one of its own, logged with the refusal, so that
    // a client quoting it is found in the log like any other.
    const requestId = randomUUID();
    logger.info(
      { reqId: requestId, errorCode: error.code, remoteAddress: socket.remoteAddress },
      'refused a request the HTTP parser could not read',
    );
    answer(socket, error.code, idleMs, requestId);
  };
}

/** Requests `bodyIdleDeadline` answered: what the body parser then reports is not the client's doing. */
const cutOff = new WeakSet<object>();

/** True when `request` was answered 408 for a body that stopped arriving. */
export function wasCutOff(request: FastifyRequest): boolean {
  return cutOff.has(request.raw);
}

/**
 * An `onRequest` hook: a request whose body stops arriving for `idleMs` (no byte on its connection)
 * before it is complete is answered 408 and its connection closed. Requests without a body are not timed.
 */
export function bodyIdleDeadline(idleMs: number): onRequestHookHandler {
  return (request, reply, done) => {
    const { raw } = request;
    const length = raw.headers['content-length'];
    const hasBody =
      (length !== undefined && length !== '0') || raw.headers['transfer-encoding'] !== undefined;
    if (!hasBody || raw.complete) return done();
    const socket = raw.socket;
    const timer = setTimeout(() => {
      if (raw.complete || reply.sent || reply.raw.headersSent) return;
      cutOff.add(raw);
      request.log.info({ code: 'TALLY_API_REQUEST_TIMEOUT' }, 'the request body stopped arriving');
      answer(socket, 'ERR_HTTP_REQUEST_TIMEOUT', idleMs, String(request.id));
    }, idleMs);
    // Every byte on the connection starts the wait again. A listener of the socket's, not the request's:
    // reading the request would take its body from the route.
    const arrived = () => timer.refresh();
    socket.on('data', arrived);
    const stop = () => {
      clearTimeout(timer);
      socket.off('data', arrived);
    };
    raw.once('end', stop);
    raw.once('close', stop);
    reply.raw.once('finish', stop);
    reply.raw.once('close', stop);
    done();
  };
}
