/**
 * Which problem an error becomes: the one place that knows every error source (schema validation,
 * Fastify's own errors, `ApiError`, `EventStoreError`, the domain's catalog) and picks status, code
 * and a detail that is safe to show. Anything unrecognised is a 500 whose detail says nothing about it.
 */
import type { FastifyError } from 'fastify';
import { EventStoreError } from '../adapters/eventstore/errors.ts';
import { unreachable } from '../domain/shared/unreachable.ts';
import { ifMatchHint } from './commands/if-match.ts';
import { ApiError, apiErrors } from './problem.ts';

/** A problem before the request id is added; `internal` marks errors to log at error level. */
export interface ProblemOfError {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly field?: string;
  readonly issues?: readonly { readonly path: string; readonly message: string }[];
  readonly headers?: Readonly<Record<string, string>>;
  readonly internal?: boolean;
}

const retrySoon = { 'retry-after': '5' };

function fromApiError(error: ApiError): ProblemOfError {
  const { title } = apiErrors[error.code];
  return {
    status: error.status,
    code: error.code,
    title,
    detail: error.detail,
    ...(error.field ? { field: error.field } : {}),
    ...(error.status === 503 ? { headers: retrySoon } : {}),
  };
}

function fromEventStoreError(error: EventStoreError): ProblemOfError {
  const { failure } = error;
  const base = { code: failure.code };
  switch (failure.code) {
    case 'TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION':
      return {
        ...base,
        status: 409,
        title: 'Conflicting change',
        detail:
          failure.actual === 'no_stream'
            ? `${failure.stream} does not exist, so If-Match ${failure.expected} cannot match; check the name, or send no If-Match`
            : `someone else changed ${failure.stream} (it is at revision ${failure.actual}, expected ${failure.expected}); reload and retry`,
      };
    case 'TALLY_EVENTSTORE_STREAM_DELETED':
      return { ...base, status: 410, title: 'Deleted', detail: `${failure.stream} was deleted for good` };
    case 'TALLY_EVENTSTORE_APPEND_TOO_LARGE':
      return {
        ...base,
        status: 413,
        title: 'Change too large',
        detail: `the change to ${failure.stream} exceeds the event store's limit of ${failure.maxAppendSize} bytes`,
      };
    case 'TALLY_EVENTSTORE_INVALID_ARGUMENT':
      return { ...base, status: 400, title: 'Invalid request', detail: error.message };
    case 'TALLY_EVENTSTORE_UNAVAILABLE':
    case 'TALLY_EVENTSTORE_TIMEOUT':
      return {
        ...base,
        status: 503,
        title: 'Event store unavailable',
        detail: 'the event store is not answering; retry shortly',
        headers: retrySoon,
        internal: true,
      };
    case 'TALLY_EVENTSTORE_ACCESS_DENIED':
    case 'TALLY_EVENTSTORE_INVALID_EVENT':
    case 'TALLY_EVENTSTORE_INVALID_URL':
    case 'TALLY_EVENTSTORE_NUMBER_OUT_OF_RANGE':
    case 'TALLY_EVENTSTORE_FAILED':
      return internalProblem();
    default:
      return unreachable(failure);
  }
}

/** `DomainError` and its kin, recognised by shape: a `TALLY_…` code and an HTTP status. */
function isCatalogError(error: unknown): error is Error & { code: string; status: number } {
  if (!(error instanceof Error)) return false;
  const { code, status } = error as { code?: unknown; status?: unknown };
  return (
    typeof code === 'string' &&
    /^TALLY_[A-Z0-9_]+$/.test(code) &&
    typeof status === 'number' &&
    Number.isInteger(status) &&
    status >= 400 &&
    status <= 599
  );
}

/** The domain's per-field issues (`DomainError.details`), when the error carries them. */
function issuesOf(error: Error): ProblemOfError['issues'] {
  const details = (error as { details?: unknown }).details;
  if (!Array.isArray(details) || details.length === 0) return undefined;
  return details
    .filter((issue) => typeof issue?.path === 'string' && typeof issue.message === 'string')
    .map(({ path, message }) => ({ path, message }));
}

function titleOf(code: string): string {
  const words = code
    .replace(/^TALLY_[A-Z0-9]+_/, '')
    .toLowerCase()
    .replaceAll('_', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** What to send instead, for fields whose schema's own message (a regular expression) does not say it. */
const validationHints: Readonly<Record<string, string>> = {
  'headers.if-match': ifMatchHint,
  body: 'send a JSON object, with content-type application/json',
};

function fromValidation(error: FastifyError): ProblemOfError {
  const [first] = error.validation ?? [];
  const params = (first?.params ?? {}) as Record<string, unknown>;
  const path = (first?.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
  const leaf =
    typeof params.missingProperty === 'string'
      ? params.missingProperty
      : typeof params.additionalProperty === 'string'
        ? params.additionalProperty
        : '';
  const inner = [path, leaf].filter(Boolean).join('.');
  const field = [error.validationContext, inner].filter(Boolean).join('.');
  const allowed = Array.isArray(params.allowedValues) ? ` (${params.allowedValues.join(', ')})` : '';
  const message = first?.message ?? 'is invalid';
  // The body's hint is for a body that is not an object at all, not for an object breaking a rule.
  const hinted = field === 'body' && first?.keyword !== 'type' ? undefined : validationHints[field];
  const hint = hinted ? `: ${hinted}` : '';
  const detail = field ? `${field} ${message}${allowed}${hint}` : `${error.message}${allowed}`;
  return { ...fromApiError(new ApiError('TALLY_API_INVALID_REQUEST', detail, field || undefined)) };
}

/** Fastify's own client errors (bad JSON, body too large, unknown content type…): their messages are safe. */
function fromFastifyClientError(error: FastifyError, status: number): ProblemOfError {
  if (error.code === 'FST_ERR_BAD_URL') {
    const detail =
      'the path is not valid percent-encoded UTF-8; encode each byte outside A-Z a-z 0-9 - . _ ~ as %XX';
    return fromApiError(new ApiError('TALLY_API_INVALID_REQUEST', detail, 'params'));
  }
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    const detail = 'a segment of the path is longer than any name or id the API knows; check the URL';
    // Fastify says 414; the code's own status (400) is the one the API documents.
    return fromApiError(new ApiError('TALLY_API_INVALID_REQUEST', detail, 'params'));
  }
  if (status === 413) return fromApiError(new ApiError('TALLY_API_BODY_TOO_LARGE', error.message));
  if (status === 415) {
    const detail = `${error.message}: send the body as JSON, with content-type application/json`;
    return fromApiError(new ApiError('TALLY_API_UNSUPPORTED_MEDIA_TYPE', detail));
  }
  if (status === 404) return fromApiError(new ApiError('TALLY_API_NOT_FOUND', error.message));
  return { ...fromApiError(new ApiError('TALLY_API_INVALID_REQUEST', error.message)), status };
}

function internalProblem(): ProblemOfError {
  const { status, title } = apiErrors.TALLY_API_INTERNAL;
  return {
    status,
    code: 'TALLY_API_INTERNAL',
    title,
    detail: 'the server failed unexpectedly; report the request id so the failure can be found in its logs',
    internal: true,
  };
}

export function problemOfError(error: unknown): ProblemOfError {
  if (error instanceof ApiError) return fromApiError(error);
  if (error instanceof EventStoreError) return fromEventStoreError(error);
  const fastifyError = error as Partial<FastifyError> | undefined;
  if (Array.isArray(fastifyError?.validation)) return fromValidation(error as FastifyError);
  if (isCatalogError(error)) {
    const issues = issuesOf(error);
    return {
      status: error.status,
      code: error.code,
      title: titleOf(error.code),
      detail: error.message,
      ...(issues ? { issues } : {}),
    };
  }
  const status = fastifyError?.statusCode;
  if (
    typeof fastifyError?.code === 'string' &&
    fastifyError.code.startsWith('FST_') &&
    typeof status === 'number' &&
    status >= 400 &&
    status < 500
  ) {
    return fromFastifyClientError(error as FastifyError, status);
  }
  return internalProblem();
}
