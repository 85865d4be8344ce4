/**
 * Reads the native worker's answer: the child's end first (limits, crashes), then its JSON, checked
 * for shape before anything of it is trusted.
 */
import { parseDerivation, storePathBaseName } from '../../../domain/derivation/index.ts';
import type { ChildRun } from '../child.ts';
import type { EvaluatedJob, EvaluationLimits, EvaluationRequest, EvaluationResult } from '../evaluator.ts';
import { failure, failureOfRun, selectJobs } from '../failures.ts';

const heapExhausted = /JavaScript heap out of memory|Reached heap limit|Allocation failed/;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isStringRecord = (value: unknown): value is Record<string, string> =>
  isRecord(value) && Object.values(value).every((item) => typeof item === 'string');

function isJob(value: unknown): value is EvaluatedJob {
  return (
    isRecord(value) &&
    typeof value.name === 'string' &&
    typeof value.system === 'string' &&
    typeof value.drvPath === 'string' &&
    isStringRecord(value.outputs)
  );
}

export function inputDrvsOf(drvPath: string, bytes: Uint8Array): Iterable<string> {
  return parseDerivation(bytes, storePathBaseName(drvPath).slice(33, -4)).inputDrvs.keys();
}

export function readWorkerAnswer(
  run: ChildRun,
  request: EvaluationRequest,
  limits: EvaluationLimits,
): EvaluationResult {
  const log = run.stderr;
  const failed = failureOfRun(run, limits, 'the native evaluator', heapExhausted);
  if (failed) return failed;
  let answer: unknown;
  try {
    answer = JSON.parse(run.stdout.toString('utf8'));
  } catch (error) {
    return failure(
      'malformed-output',
      `the native evaluator's answer is not JSON: ${(error as Error).message}`,
      log,
    );
  }
  if (isRecord(answer) && answer.ok === false && typeof answer.message === 'string') {
    const reason =
      answer.reason === 'malformed-jobset' ||
      answer.reason === 'output-too-large' ||
      answer.reason === 'out-of-memory'
        ? answer.reason
        : 'evaluator-error';
    return failure(reason, answer.message, log);
  }
  if (
    !isRecord(answer) ||
    answer.ok !== true ||
    !Array.isArray(answer.jobs) ||
    !answer.jobs.every(isJob) ||
    !isStringRecord(answer.drvFiles) ||
    !isStringRecord(answer.sources)
  ) {
    return failure('malformed-output', "the native evaluator's answer does not have the expected shape", log);
  }
  const encoder = new TextEncoder();
  const drvFiles = new Map(
    Object.entries(answer.drvFiles).map(([path, text]) => [path, encoder.encode(text)]),
  );
  try {
    const selected = selectJobs(answer.jobs, drvFiles, request.systems, inputDrvsOf);
    return { ok: true, ...selected, sources: new Map(Object.entries(answer.sources)), log };
  } catch (error) {
    return failure(
      'malformed-output',
      `the native evaluator's answer is inconsistent: ${(error as Error).message}`,
      log,
    );
  }
}
