/**
 * The nix evaluator: `nix-instantiate --eval --strict --json` of a release file (Hydra's release.nix
 * convention), in a child with an address-space cap (`prlimit --as`), a wall clock and an output
 * cap, offline (`substituters` empty) and without a sandbox. The `.drv` closure is then listed with
 * `nix-store --query --requisites` and read from the store, so Tally's store can hold it.
 */
import { readFile, realpath } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { type ChildRun, runChild } from '../child.ts';
import type { EvaluatedJob, EvaluationRequest, EvaluationResult, Evaluator } from '../evaluator.ts';
import { failure, failureOfRun, selectJobs } from '../failures.ts';
import { outOfMemoryWords, withMemoryLimit } from '../memory-limit.ts';
import { inputDrvsOf } from '../native/answer.ts';
import { jobsExpression } from './jobs-expression.ts';

/** Paths per `nix-store --query` call, well under the kernel's argument-size limit. */
const queryBatch = 500;

export interface NixEvaluatorOptions {
  /** Extra `--option name value` pairs for every nix call. */
  readonly nixOptions?: Readonly<Record<string, string>>;
}

export function createNixEvaluator(options: NixEvaluatorOptions = {}): Evaluator {
  const nixOptions = { sandbox: 'false', substituters: '', ...options.nixOptions };
  const optionArgs = Object.entries(nixOptions).flatMap(([name, value]) => ['--option', name, value]);
  return { name: 'nix', evaluate: (request) => evaluate(request, optionArgs) };
}

function nixEnv(storeDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NIX_PATH;
  if (storeDir !== '/nix/store') env.NIX_STORE_DIR = storeDir;
  return env;
}

/** Runs a nix command under the request's memory cap, as a process group with the wall clock. */
function runNix(
  command: string,
  args: string[],
  request: EvaluationRequest,
  cwd: string,
  timeoutMs: number,
): Promise<ChildRun> {
  const [limitedCommand, limitedArgs] = withMemoryLimit(command, args, request.limits.memoryBytes);
  return runChild(limitedCommand, limitedArgs, {
    cwd,
    env: nixEnv(request.storeDir),
    timeoutMs,
    outputBytes: request.limits.outputBytes,
    signal: request.signal,
  });
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function readJobs(stdout: Buffer): EvaluatedJob[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(stdout.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  const jobs: EvaluatedJob[] = [];
  for (const [name, job] of Object.entries(value)) {
    if (!isRecord(job) || typeof job.drvPath !== 'string' || typeof job.system !== 'string') return undefined;
    const outputs = job.outputs;
    if (!isRecord(outputs) || !Object.values(outputs).every((path) => typeof path === 'string'))
      return undefined;
    jobs.push({ name, system: job.system, drvPath: job.drvPath, outputs: outputs as Record<string, string> });
  }
  return jobs;
}

async function evaluate(request: EvaluationRequest, optionArgs: string[]): Promise<EvaluationResult> {
  const started = Date.now();
  const root = await realpath(resolve(request.checkoutDir)).catch(() => undefined);
  if (!root) return failure('evaluator-error', `the checkout ${request.checkoutDir} does not exist`, '');
  const entry = await realpath(join(root, request.entry)).catch(() => undefined);
  if (!entry?.startsWith(root + sep)) {
    return failure('malformed-jobset', `the entry '${request.entry}' is not a file inside the checkout`, '');
  }
  const expression = jobsExpression(entry, request.systems);
  // --eval alone opens the store read-only and would not write the .drv files drvPath names.
  const args = ['--eval', '--strict', '--json', '--read-write-mode', ...optionArgs, '-E', expression];
  const run = await runNix('nix-instantiate', args, request, root, request.limits.timeoutMs);
  const failed = failureOfRun(run, request.limits, 'nix-instantiate', outOfMemoryWords);
  if (failed) return failed;
  const jobs = readJobs(run.stdout);
  if (!jobs)
    return failure(
      'malformed-output',
      'nix-instantiate printed something that is not a set of jobs',
      run.stderr,
    );
  return readClosure(request, optionArgs, jobs, run.stderr, root, started);
}

/** Lists the closure of the jobs' `.drv` files and reads it; the sources in it are kept by path. */
async function readClosure(
  request: EvaluationRequest,
  optionArgs: string[],
  jobs: EvaluatedJob[],
  log: string,
  root: string,
  started: number,
): Promise<EvaluationResult> {
  const requisites = new Set<string>();
  const drvPaths = [...new Set(jobs.map((job) => job.drvPath))];
  for (let i = 0; i < drvPaths.length; i += queryBatch) {
    const left = request.limits.timeoutMs - (Date.now() - started);
    const batch = drvPaths.slice(i, i + queryBatch);
    const run = await runNix(
      'nix-store',
      ['--query', '--requisites', ...optionArgs, ...batch],
      request,
      root,
      Math.max(1, left),
    );
    const failed = failureOfRun(run, request.limits, 'nix-store --query --requisites', outOfMemoryWords);
    if (failed) return { ...failed, log: `${log}${failed.log}` };
    for (const line of run.stdout.toString('utf8').split('\n')) if (line !== '') requisites.add(line);
  }
  const drvFiles = new Map<string, Uint8Array>();
  const sources = new Map<string, string>();
  for (const path of requisites) {
    if (path.endsWith('.drv')) drvFiles.set(path, new Uint8Array(await readFile(path)));
    else sources.set(path, path);
  }
  try {
    return { ok: true, ...selectJobs(jobs, drvFiles, request.systems, inputDrvsOf), sources, log };
  } catch (error) {
    return failure('malformed-output', `the .drv closure is incomplete: ${(error as Error).message}`, log);
  }
}
