/**
 * The API's error catalog and its wire format: every failure reaches the client as an RFC 9457
 * problem (`application/problem+json`) with a stable `code`. Routes throw `ApiError`s (or let domain
 * and event-store errors through); only `plugins/errors.ts` turns them into responses.
 */
import { type Static, Type } from 'typebox';

/** Every code the API itself raises, with its HTTP status and a short title. */
export const apiErrors = {
  /** A parameter, query, header or body failed validation (the problem names the field). */
  TALLY_API_INVALID_REQUEST: { status: 400, title: 'Invalid request' },
  /** No route answers this method and path. */
  TALLY_API_NOT_FOUND: { status: 404, title: 'Not found' },
  /** The path has routes, but none for this method (the `Allow` header lists those there are). */
  TALLY_API_METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  /** The aggregate's stream has no events. */
  TALLY_API_STREAM_NOT_FOUND: { status: 404, title: 'Stream not found' },
  /** The request body is larger than the server accepts. */
  TALLY_API_BODY_TOO_LARGE: { status: 413, title: 'Request body too large' },
  /** The request body's content type has no parser. */
  TALLY_API_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  /** Too many clients follow the live event feed already. */
  TALLY_API_TOO_MANY_CLIENTS: { status: 503, title: 'Too many live clients' },
  /** Time travel (`?at=`) that needs more events replayed than one request may replay (the server goes on from there next time). */
  TALLY_API_TIME_TRAVEL_TOO_FAR: { status: 422, title: 'Time travel too far' },
  /** Another time-travel replay is running; one runs at a time. */
  TALLY_API_TIME_TRAVEL_BUSY: { status: 503, title: 'Time travel busy' },
  /** A build attempt whose log this server cannot serve (none recorded, or no log store wired in). */
  TALLY_API_LOG_NOT_STORED: { status: 404, title: 'No log stored' },
  /** The request was not received in full within the server's request timeout. */
  TALLY_API_REQUEST_TIMEOUT: { status: 408, title: 'Request timeout' },
  /** The request line and headers are larger than the HTTP parser accepts. */
  TALLY_API_HEADERS_TOO_LARGE: { status: 431, title: 'Request header fields too large' },
  /** Bytes that are not an HTTP/1.1 request (a malformed line, header or chunk). */
  TALLY_API_BAD_HTTP: { status: 400, title: 'Bad HTTP request' },
  /** The client closed the connection before its request was read in full; nobody reads this answer. */
  TALLY_API_CLIENT_CLOSED: { status: 400, title: 'Request cut short' },
  /** Something failed that the server did not expect; the request id identifies it in the logs. */
  TALLY_API_INTERNAL: { status: 500, title: 'Internal server error' },
  /** A write without `Authorization: Bearer <token>`. */
  TALLY_AUTH_MISSING_TOKEN: { status: 401, title: 'Authentication required' },
  /** A bearer token that matches no stored token. */
  TALLY_AUTH_BAD_TOKEN: { status: 403, title: 'Invalid token' },
  /** A webhook whose signature (or GitLab token) does not match the specification's secret. */
  TALLY_HOOK_BAD_SIGNATURE: { status: 401, title: 'Bad webhook signature' },
  /** A webhook for a specification that has no webhook secret yet. */
  TALLY_HOOK_NO_SECRET: { status: 403, title: 'No webhook secret' },
  /** A webhook body that is not a JSON object. */
  TALLY_HOOK_MALFORMED_PAYLOAD: { status: 400, title: 'Malformed webhook payload' },
  /** A poll (webhook or by hand) of a specification that is not registered. */
  TALLY_POLL_UNKNOWN_SPEC: { status: 404, title: 'No such specification' },
  /** A poll of a deactivated specification. */
  TALLY_POLL_INACTIVE_SPEC: { status: 409, title: 'Specification deactivated' },
} as const;

/** A code from the API's own catalog. */
export type ApiErrorCode = keyof typeof apiErrors;

/** An expected failure of a request, with the catalog's status for its code. */
export class ApiError extends Error {
  readonly status: number;

  constructor(
    readonly code: ApiErrorCode,
    /** What went wrong, for the user; never internals. */
    readonly detail: string,
    /** The offending field (`querystring.limit`) for invalid requests. */
    readonly field?: string,
  ) {
    super(detail);
    this.name = 'ApiError';
    this.status = apiErrors[code].status;
  }
}

/** The body of every error response. */
export const Problem = Type.Object(
  {
    type: Type.String({ description: 'A URI naming the kind of problem: urn:tally:problem:<code>' }),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'Stable machine-readable code, e.g. TALLY_API_INVALID_REQUEST' }),
    detail: Type.String(),
    field: Type.Optional(Type.String({ description: 'The offending field, for invalid requests' })),
    issues: Type.Optional(
      Type.Array(Type.Object({ path: Type.String(), message: Type.String() }), {
        description: 'Each field of the request that broke a rule',
      }),
    ),
    requestId: Type.String({ description: 'Quote it when reporting a problem' }),
  },
  { description: 'An RFC 9457 problem (application/problem+json)' },
);
export type Problem = Static<typeof Problem>;

/** The problem schema for each of `statuses`, for a route's `response` schema. */
export function problemResponses<const S extends readonly number[]>(
  ...statuses: S
): { [K in S[number]]: typeof Problem } {
  return Object.fromEntries(statuses.map((status) => [status, Problem])) as {
    [K in S[number]]: typeof Problem;
  };
}
