/**
 * The one error catalog of the domain. A decider throws a `DomainError` when a command breaks a
 * rule; its `code` is stable (clients and tests match on it), its `status` is what the API answers,
 * and its message says what happened and what to do next.
 */
import type { Issue } from './schema.ts';

/** Every rule violation, with its HTTP status and the advice appended to its message. */
export const domainErrors = {
  /** An event a command would make that breaks its own schema (a field from a worker or forge, say). */
  TALLY_EVENT_INVALID: { status: 422, next: 'Correct the fields listed with it and send the command again.' },
  /** A specification that fails validation; `details` lists each field's problem. */
  TALLY_SPEC_INVALID: { status: 422, next: 'Fix each field listed with it and send it again.' },
  /** Registering a name that is already registered (active or not). */
  TALLY_SPEC_ALREADY_EXISTS: { status: 409, next: 'Update it instead, or remove it first.' },
  /** A command for a specification that was never registered or was removed. */
  TALLY_SPEC_NOT_FOUND: {
    status: 404,
    next: 'Check the name (`tally spec list` lists them), or register it first.',
  },
  /** A specification's line (one branch of a pattern channel) that has no evaluation, or was deleted. */
  TALLY_LINE_NOT_FOUND: {
    status: 404,
    next: "Check the line's id: GET /api/specs/NAME lists the specification's lines.",
  },
  /** Updating a specification under another name than its stream's. */
  TALLY_SPEC_RENAME: { status: 422, next: 'Register a new specification and remove the old one.' },
  /** A checkout for another specification than the stream's, or with a bad commit. */
  TALLY_CHECKOUT_INVALID: { status: 422, next: 'Send the checkout to its own specification stream.' },
  /** Requesting an evaluation under an id already used. */
  TALLY_EVALUATION_ALREADY_EXISTS: { status: 409, next: 'Use a new evaluation id.' },
  /** An evaluation request without checkouts, or a chunk without jobs. */
  TALLY_EVALUATION_INVALID: {
    status: 422,
    next: 'Send at least one checkout, and in each chunk at least one job, each named once in the evaluation.',
  },
  /** A command for an evaluation that was never requested. */
  TALLY_EVALUATION_NOT_FOUND: {
    status: 404,
    next: "Check the id: a specification's evaluations are listed at /api/specs/NAME/evaluations.",
  },
  /** A command that needs a running evaluation for one that has not started. */
  TALLY_EVALUATION_NOT_STARTED: { status: 409, next: 'Start the evaluation first.' },
  /** Starting an evaluation twice. */
  TALLY_EVALUATION_ALREADY_STARTED: { status: 409, next: 'Request a new evaluation to run it again.' },
  /** A command for an evaluation that has completed, failed or been aborted. */
  TALLY_EVALUATION_ALREADY_FINISHED: { status: 409, next: 'Request a new evaluation to run it again.' },
  /** Recording what an evaluation's scheduling reused before the evaluation completed. */
  TALLY_EVALUATION_NOT_COMPLETED: { status: 409, next: 'Only a completed evaluation is scheduled.' },
  /** A job chunk whose number is not the next one expected. */
  TALLY_EVALUATION_CHUNK_OUT_OF_ORDER: { status: 409, next: 'Append chunks in order, starting at 0.' },
  /** Completing with a job count other than the jobs recorded. */
  TALLY_EVALUATION_JOB_COUNT_MISMATCH: { status: 422, next: 'Append the missing chunks before completing.' },
  /** A chunk of jobs whose JSON is over the event budget. */
  TALLY_EVALUATION_CHUNK_TOO_LARGE: { status: 422, next: 'Split the jobs with chunkJobs.' },
  /** One job whose JSON alone is larger than an event may be. */
  TALLY_EVALUATION_JOB_TOO_LARGE: { status: 422, next: 'Fail the evaluation as output-too-large.' },
  /** A command for a build that was never queued. */
  TALLY_BUILD_NOT_FOUND: { status: 404, next: 'Check the id: /api/builds lists the builds.' },
  /** A command for a build that has succeeded, failed, been cancelled or substituted. */
  TALLY_BUILD_ALREADY_FINISHED: { status: 409, next: 'Restart the build to run it again.' },
  /** Dispatching or substituting a build that is not waiting in the queue. */
  TALLY_BUILD_NOT_QUEUED: { status: 409, next: 'Wait for the current attempt to end, or cancel it.' },
  /** Dispatching a requeued build before its back-off has passed. */
  TALLY_BUILD_NOT_READY: { status: 409, next: 'Dispatch it after the time in notBefore.' },
  /** Restarting a build that has not finished. */
  TALLY_BUILD_NOT_FINISHED: { status: 409, next: 'Cancel it first, or wait for it to finish.' },
  /** Dispatching a build to a worker that does not build its system. */
  TALLY_BUILD_WRONG_SYSTEM: { status: 422, next: "Pick a worker that lists the build's system." },
  /** Reusing an attempt id, or a command naming an attempt the build never had. */
  TALLY_BUILD_ATTEMPT_INVALID: { status: 409, next: 'Use the attempt id the dispatcher assigned.' },
  /** A command for a worker that was never registered or was removed. */
  TALLY_WORKER_NOT_FOUND: { status: 404, next: 'Check the name: /api/workers lists the workers.' },
  /** Marking a worker lost or disconnected when it is not connected. */
  TALLY_WORKER_NOT_CONNECTED: { status: 409, next: 'Nothing to do: it is already offline.' },
  /** Removing a worker that is still connected. */
  TALLY_WORKER_CONNECTED: {
    status: 409,
    next: 'Drain it (POST /api/workers/NAME/drain) to stop giving it work; remove it once it has disconnected.',
  },
  /** A worker registration with no system, no cores or a bad version. */
  TALLY_WORKER_INVALID: { status: 422, next: 'Send the worker capabilities with at least one system.' },
  /** Starting a collection under an id already used. */
  TALLY_GC_ALREADY_EXISTS: { status: 409, next: 'Use a new collection id.' },
  /** A command for a collection that was never started. */
  TALLY_GC_NOT_STARTED: { status: 409, next: 'Start the collection first.' },
  /** A command for a collection that has finished or failed. */
  TALLY_GC_ALREADY_FINISHED: { status: 409, next: 'Start a new collection.' },
  /** A chunk of collected paths whose number is not the next one expected. */
  TALLY_GC_CHUNK_OUT_OF_ORDER: { status: 409, next: 'Record chunks in order, starting at 0.' },
  /** Collecting more bytes than the policy's `maxFreedBytes` allows. */
  TALLY_GC_LIMIT_EXCEEDED: { status: 422, next: 'Finish the collection; the next one frees the rest.' },
  /** A chunk of collected paths too large for one event. */
  TALLY_GC_CHUNK_TOO_LARGE: { status: 422, next: 'Record the paths in smaller chunks.' },
  /** A chunk naming one path twice, which would count its bytes twice. */
  TALLY_GC_PATH_REPEATED: { status: 422, next: 'Name each collected path once.' },
  /** Recording an attempt of a notification that has already been sent or abandoned. */
  TALLY_NOTIFICATION_ALREADY_SETTLED: { status: 409, next: 'Send a new notification instead.' },
  /** A notification attempt number that is not the next one expected. */
  TALLY_NOTIFICATION_ATTEMPT_OUT_OF_ORDER: { status: 409, next: 'Number attempts from 1 upwards.' },
} as const satisfies Record<string, { readonly status: number; readonly next: string }>;

/** Every stable code a `DomainError` can carry. */
export type DomainErrorCode = keyof typeof domainErrors;

/** A command that breaks a rule of the domain. */
export class DomainError extends Error {
  /** The HTTP status the API answers with. */
  readonly status: number;

  constructor(
    readonly code: DomainErrorCode,
    /** What happened, as one sentence without a final period. */
    problem: string,
    /** Field-level problems, for validation errors. */
    readonly details: readonly Issue[] = [],
  ) {
    super(`${problem}. ${domainErrors[code].next}`);
    this.name = 'DomainError';
    this.status = domainErrors[code].status;
  }
}

/** True for rule violations of the domain, whatever their code. */
export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}
