/**
 * How a child's end becomes an evaluation failure, shared by the evaluators: the limits the parent
 * enforced, an out-of-memory death recognised from the log, anything else an evaluator error.
 */
import type { ChildRun } from './child.ts';
import type { EvaluatedJob, EvaluationFailure, EvaluationLimits, EvaluationResult } from './evaluator.ts';

/** The last bytes of a log kept in a result: the end of a log says why it stopped. */
const maxLogChars = 64 * 1024;

export function tailOfLog(log: string): string {
  return log.length > maxLogChars
    ? `[… ${log.length - maxLogChars} characters cut]\n${log.slice(-maxLogChars)}`
    : log;
}

export function failure(
  reason: EvaluationFailure['reason'],
  message: string,
  log: string,
): EvaluationFailure {
  return { ok: false, reason, message, log: tailOfLog(log) };
}

/**
 * The failure for a run that did not end with a usable answer, or `undefined` when it exited 0.
 * `outOfMemory` recognises the evaluator's own words for running out of memory.
 */
export function failureOfRun(
  run: ChildRun,
  limits: EvaluationLimits,
  what: string,
  outOfMemory: RegExp,
): EvaluationFailure | undefined {
  const { end, stderr } = run;
  switch (end.kind) {
    case 'timed-out':
      return failure('timed-out', `${what} ran longer than ${limits.timeoutMs} ms and was killed`, stderr);
    case 'output-too-large':
      return failure('output-too-large', `${what} wrote more than ${limits.outputBytes} bytes`, stderr);
    case 'spawn-failed':
      return failure('evaluator-error', `${what} could not be started: ${end.message}`, stderr);
    case 'signalled':
    case 'exited': {
      if (outOfMemory.test(stderr)) {
        return failure(
          'out-of-memory',
          `${what} ran out of its ${limits.memoryBytes} bytes of memory`,
          stderr,
        );
      }
      if (end.kind === 'exited' && end.code === 0) return undefined;
      const how = end.kind === 'exited' ? `exit code ${end.code}` : `signal ${end.signal}`;
      return failure('evaluator-error', `${what} failed with ${how}`, stderr);
    }
    default:
      return unreachable(end);
  }
}

export function unreachable(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}

/**
 * Keeps the jobs for `systems` (all when empty) and the `.drv` files their closure needs; `inputsOf`
 * lists the input derivations of a `.drv`.
 */
export function selectJobs(
  jobs: readonly EvaluatedJob[],
  drvFiles: ReadonlyMap<string, Uint8Array>,
  systems: readonly string[],
  inputsOf: (drvPath: string, bytes: Uint8Array) => Iterable<string>,
): { jobs: EvaluatedJob[]; drvFiles: Map<string, Uint8Array> } {
  const kept = jobs.filter((job) => systems.length === 0 || systems.includes(job.system));
  const closure = new Map<string, Uint8Array>();
  const visit = (drvPath: string) => {
    if (closure.has(drvPath)) return;
    const bytes = drvFiles.get(drvPath);
    if (!bytes) throw new Error(`the evaluator did not return ${drvPath}`);
    closure.set(drvPath, bytes);
    for (const input of inputsOf(drvPath, bytes)) visit(input);
  };
  for (const job of kept) visit(job.drvPath);
  return { jobs: kept, drvFiles: closure };
}

export type { EvaluationResult };
