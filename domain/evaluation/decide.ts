/**
 * Decisions of an evaluation stream: its life cycle is requested → running → one end, and jobs are
 * only recorded while it runs, chunk after chunk.
 */
import { DomainError } from '../shared/errors.ts';
import { durationMs } from '../shared/time.ts';
import { unreachable } from '../shared/unreachable.ts';
import { chunkBytes, defaultChunkBytes, utf8Length } from './chunk-jobs.ts';
import type {
  AbortEvaluation,
  AddEvaluationJobs,
  CompleteEvaluation,
  EvaluationCommand,
  FailEvaluation,
  RecordReusedBuilds,
  RequestEvaluation,
  StartEvaluation,
} from './commands.ts';
import type { EvaluationEvent } from './events.ts';
import type { EvaluationState } from './state.ts';

type Unfinished = Extract<EvaluationState, { status: 'requested' | 'running' }>;
type Running = Extract<EvaluationState, { status: 'running' }>;

/** The evaluation if it has not ended; throws for one never requested or already ended. */
function unfinished(state: EvaluationState, evaluationId: string): Unfinished {
  switch (state.status) {
    case 'none':
      throw new DomainError('TALLY_EVALUATION_NOT_FOUND', `Evaluation ${evaluationId} was never requested`);
    case 'requested':
    case 'running':
      return state;
    case 'completed':
    case 'failed':
    case 'aborted':
      throw new DomainError(
        'TALLY_EVALUATION_ALREADY_FINISHED',
        `Evaluation ${evaluationId} has ${state.status}`,
      );
    default:
      return unreachable(state);
  }
}

function running(state: EvaluationState, evaluationId: string): Running {
  const current = unfinished(state, evaluationId);
  if (current.status !== 'running')
    throw new DomainError('TALLY_EVALUATION_NOT_STARTED', `Evaluation ${evaluationId} has not started`);
  return current;
}

function request(command: RequestEvaluation, state: EvaluationState): EvaluationEvent[] {
  const { evaluationId, spec, trigger, checkouts, detection } = command;
  if (state.status !== 'none')
    throw new DomainError('TALLY_EVALUATION_ALREADY_EXISTS', `Evaluation ${evaluationId} already exists`);
  if (checkouts.length === 0)
    throw new DomainError('TALLY_EVALUATION_INVALID', `Evaluation ${evaluationId} names no checkout`);
  if (trigger.kind === 'patch-series' && !checkouts.some((checkout) => checkout.patchSeries))
    throw new DomainError(
      'TALLY_EVALUATION_INVALID',
      `Evaluation ${evaluationId} is for a patch series but has none`,
    );
  const detected = detection === undefined ? {} : { detection };
  return [{ type: 'EvaluationRequested', data: { evaluationId, spec, trigger, checkouts, ...detected } }];
}

function start(command: StartEvaluation, state: EvaluationState): EvaluationEvent[] {
  const current = unfinished(state, command.evaluationId);
  if (current.status === 'running')
    throw new DomainError(
      'TALLY_EVALUATION_ALREADY_STARTED',
      `Evaluation ${command.evaluationId} is running`,
    );
  const data = { evaluationId: command.evaluationId, evaluator: command.evaluator, startedAt: command.at };
  return [{ type: 'EvaluationStarted', data }];
}

function addJobs(command: AddEvaluationJobs, state: EvaluationState): EvaluationEvent[] {
  const { evaluationId, chunk, jobs } = command;
  const current = running(state, evaluationId);
  if (chunk !== current.nextChunk)
    throw new DomainError(
      'TALLY_EVALUATION_CHUNK_OUT_OF_ORDER',
      `Evaluation ${evaluationId} expects chunk ${current.nextChunk}, not ${chunk}`,
    );
  if (jobs.length === 0) throw new DomainError('TALLY_EVALUATION_INVALID', `Chunk ${chunk} has no jobs`);
  // Within the chunk: across chunks, the state would have to carry every name, and each command on
  // the stream folds it again. The evaluation runner checks the whole list before the first chunk.
  const seen = new Set<string>();
  for (const job of jobs) {
    if (seen.has(job.name))
      throw new DomainError(
        'TALLY_EVALUATION_INVALID',
        `Evaluation ${evaluationId} has two jobs named ${job.name}`,
      );
    seen.add(job.name);
  }
  const data = { evaluationId, chunk, jobs };
  if (chunkBytes(data) > defaultChunkBytes)
    throw new DomainError(
      // One job alone over the budget cannot be split into chunks.
      jobs.length === 1 ? 'TALLY_EVALUATION_JOB_TOO_LARGE' : 'TALLY_EVALUATION_CHUNK_TOO_LARGE',
      `Chunk ${chunk} is over ${defaultChunkBytes} bytes`,
    );
  return [{ type: 'EvaluationJobsAdded', data }];
}

function complete(command: CompleteEvaluation, state: EvaluationState): EvaluationEvent[] {
  const { evaluationId, jobCount, at } = command;
  const current = running(state, evaluationId);
  if (jobCount !== current.jobCount)
    throw new DomainError(
      'TALLY_EVALUATION_JOB_COUNT_MISMATCH',
      `Evaluation ${evaluationId} produced ${jobCount} jobs but ${current.jobCount} are recorded`,
    );
  return [
    {
      type: 'EvaluationCompleted',
      data: { evaluationId, jobCount, durationMs: durationMs(current.startedAt, at) },
    },
  ];
}

/**
 * Records a chunk of reused builds once: a chunk already recorded (a scheduling retried) decides
 * nothing, one past the next is refused. Only a completed evaluation is scheduled.
 */
function recordReused(command: RecordReusedBuilds, state: EvaluationState): EvaluationEvent[] {
  const { evaluationId, chunk, spec, priority, builds } = command;
  if (state.status !== 'completed')
    throw new DomainError(
      'TALLY_EVALUATION_NOT_COMPLETED',
      `Evaluation ${evaluationId} is ${state.status}: only a completed evaluation's builds are scheduled`,
    );
  if (chunk < state.nextReusedChunk) return [];
  if (chunk > state.nextReusedChunk)
    throw new DomainError(
      'TALLY_EVALUATION_CHUNK_OUT_OF_ORDER',
      `Evaluation ${evaluationId} expects reused chunk ${state.nextReusedChunk}, not ${chunk}`,
    );
  if (builds.length === 0)
    throw new DomainError('TALLY_EVALUATION_INVALID', `Reused chunk ${chunk} is empty`);
  const data = { evaluationId, chunk, spec, priority, builds };
  if (utf8Length(JSON.stringify(data)) > defaultChunkBytes)
    throw new DomainError(
      'TALLY_EVALUATION_CHUNK_TOO_LARGE',
      `Reused chunk ${chunk} is over ${defaultChunkBytes} bytes`,
    );
  return [{ type: 'EvaluationBuildsReused', data }];
}

function fail(command: FailEvaluation, state: EvaluationState): EvaluationEvent[] {
  const { evaluationId, reason, logRef, message } = command;
  unfinished(state, evaluationId);
  const said = message === undefined ? {} : { message };
  return [{ type: 'EvaluationFailed', data: { evaluationId, reason, logRef, ...said } }];
}

function abort(command: AbortEvaluation, state: EvaluationState): EvaluationEvent[] {
  unfinished(state, command.evaluationId);
  return [
    {
      type: 'EvaluationAborted',
      data: { evaluationId: command.evaluationId, by: command.actor, why: command.why },
    },
  ];
}

export function decideEvaluation(
  command: EvaluationCommand,
  state: EvaluationState,
): readonly EvaluationEvent[] {
  switch (command.type) {
    case 'RequestEvaluation':
      return request(command, state);
    case 'StartEvaluation':
      return start(command, state);
    case 'AddEvaluationJobs':
      return addJobs(command, state);
    case 'CompleteEvaluation':
      return complete(command, state);
    case 'RecordReusedBuilds':
      return recordReused(command, state);
    case 'FailEvaluation':
      return fail(command, state);
    case 'AbortEvaluation':
      return abort(command, state);
    default:
      return unreachable(command);
  }
}
