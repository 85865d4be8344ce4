/**
 * The binary cache's failures as RFC 9457 problems (`application/problem+json`, the API's shape):
 * its own `TALLY_CACHE_…` codes, and the store's and NAR parser's errors translated to them, so an
 * uploader learns what was wrong with its upload and nothing about the server's internals.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clientClosed, cutShort } from '../../plugins/errors.ts';

/** Every code the cache answers with, its status and title. */
export const cacheErrors = {
  /** The file name in the URL is not one the cache serves or accepts. */
  TALLY_CACHE_BAD_REQUEST: { status: 400, title: 'Bad cache request' },
  /** The narinfo does not parse, or contradicts its URL. */
  TALLY_CACHE_BAD_NARINFO: { status: 400, title: 'Invalid narinfo' },
  /** A store path (the narinfo's, a reference, the deriver) outside the store or with a bad name. */
  TALLY_CACHE_BAD_PATH: { status: 400, title: 'Invalid store path' },
  /** The uploaded file does not have the hash its name says. */
  TALLY_CACHE_FILE_HASH_MISMATCH: { status: 400, title: 'File hash mismatch' },
  /** The NAR does not have the hash or size the narinfo says. */
  TALLY_CACHE_NAR_HASH_MISMATCH: { status: 400, title: 'NAR hash mismatch' },
  /** The NAR is not a valid archive (truncated, malformed, badly compressed). */
  TALLY_CACHE_BAD_NAR: { status: 400, title: 'Invalid NAR' },
  /** A compression other than zstd (`.nar.zst`) or none (`.nar`). */
  TALLY_CACHE_UNSUPPORTED_COMPRESSION: { status: 415, title: 'Unsupported compression' },
  /** No trusted uploader key signed the path. */
  TALLY_CACHE_BAD_SIGNATURE: { status: 403, title: 'Not signed by a trusted key' },
  /** The narinfo names a NAR that was not uploaded first. */
  TALLY_CACHE_NAR_NOT_UPLOADED: { status: 409, title: 'NAR not uploaded' },
  /** The path refers to paths the store does not have; upload them first. */
  TALLY_CACHE_MISSING_REFERENCE: { status: 409, title: 'Missing references' },
  /** An upload larger than the cache accepts. */
  TALLY_CACHE_TOO_LARGE: { status: 413, title: 'Upload too large' },
  /** Anything unexpected; the request id finds it in the logs. */
  TALLY_CACHE_INTERNAL: { status: 500, title: 'Internal server error' },
} as const;

export type CacheErrorCode = keyof typeof cacheErrors;

/** An expected failure of a cache request. */
export class CacheError extends Error {
  constructor(
    readonly code: CacheErrorCode,
    /** What went wrong, safe to show. */
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'CacheError';
  }
}

/** A problem as `authorizeUpload` may return it: status and code at least. */
export interface UploadProblem {
  readonly status: number;
  readonly code: string;
  readonly title?: string;
  readonly detail?: string;
}

/** Store and NAR errors an upload can cause, by their codes. */
const translated: Readonly<Record<string, CacheErrorCode>> = {
  TALLY_STORE_HASH_MISMATCH: 'TALLY_CACHE_NAR_HASH_MISMATCH',
  TALLY_STORE_MISSING_REFERENCE: 'TALLY_CACHE_MISSING_REFERENCE',
  TALLY_STORE_BAD_PATH: 'TALLY_CACHE_BAD_PATH',
  TALLY_STORE_PATH_INVALID: 'TALLY_CACHE_BAD_PATH',
  TALLY_STORE_BAD_COMPRESSION: 'TALLY_CACHE_BAD_NAR',
  TALLY_STORE_BAD_ARGUMENT: 'TALLY_CACHE_BAD_NARINFO',
  TALLY_NARINFO_INVALID: 'TALLY_CACHE_BAD_NARINFO',
  TALLY_HASH_INVALID: 'TALLY_CACHE_BAD_NARINFO',
  TALLY_KEY_INVALID: 'TALLY_CACHE_BAD_NARINFO',
};

function problemOf(error: unknown): { code: string; status: number; title: string; detail: string } {
  const code = (error as { code?: unknown })?.code;
  if (error instanceof CacheError)
    return { ...cacheErrors[error.code], code: error.code, detail: error.detail };
  if (typeof code === 'string') {
    const mapped = translated[code] ?? (code.startsWith('TALLY_NAR_') ? 'TALLY_CACHE_BAD_NAR' : undefined);
    if (mapped) return { ...cacheErrors[mapped], code: mapped, detail: (error as Error).message };
  }
  const status = (error as { statusCode?: unknown })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return {
      status,
      code: 'TALLY_CACHE_BAD_REQUEST',
      title: 'Bad request',
      detail: (error as Error).message,
    };
  }
  return {
    ...cacheErrors.TALLY_CACHE_INTERNAL,
    code: 'TALLY_CACHE_INTERNAL',
    detail: 'the cache failed; see the server log',
  };
}

/** Sends `problem` as application/problem+json. */
export function sendProblem(reply: FastifyReply, request: FastifyRequest, problem: UploadProblem) {
  const title =
    problem.title ?? (cacheErrors as Record<string, { title: string }>)[problem.code]?.title ?? 'Error';
  return reply
    .code(problem.status)
    .type('application/problem+json')
    .send({
      type: `urn:tally:problem:${problem.code}`,
      title,
      status: problem.status,
      code: problem.code,
      detail: problem.detail ?? title,
      requestId: request.id,
    });
}

/** The plugin's error handler: every thrown error becomes a problem; 5xx are logged, never shown. */
export function handleCacheError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  // An upload the client broke off (or the server cut off, idle) failed nothing here.
  if (clientClosed(error)) return sendProblem(reply, request, cutShort(request));
  const problem = problemOf(error);
  if (problem.status >= 500) request.log.error({ err: error }, 'binary cache request failed');
  else request.log.info({ code: problem.code, detail: problem.detail }, 'binary cache request refused');
  return sendProblem(reply, request, problem);
}
