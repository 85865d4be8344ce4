/**
 * The native evaluator's child process: reads the jobset (a JSON file, or the stdout of a program of
 * the checkout), validates it, adds the sources as Nix adds local paths, writes the derivations, and
 * prints one JSON answer on stdout. Run as `node --import tsx worker.ts '<request JSON>'`; the parent
 * holds the limits, so anything this process does wrong ends as a failed evaluation.
 */
import { spawn } from 'node:child_process';
import { readFile, realpath } from 'node:fs/promises';
import { basename, join, sep } from 'node:path';
import { makeSourcePath } from '../../../domain/derivation/index.ts';
import { closeAfterExit, pipeGraceMs } from '../../processes/close-after-exit.ts';
import { hashPath } from '../../store/nar-fs.ts';
import type { EvaluationFailureReason } from '../evaluator.ts';
import { outOfMemoryWords, withMemoryLimit } from '../memory-limit.ts';
import { instantiateJobset } from './jobset-instantiate.ts';
import { describeProblem, parseJobset } from './jobset-schema.ts';

/** What the parent sends. */
export interface WorkerRequest {
  readonly checkoutDir: string;
  readonly entry: string;
  readonly storeDir: string;
  readonly outputBytes: number;
  /** The address space a jobs program of the checkout may use. */
  readonly memoryBytes: number;
}

/** What the child prints. */
export type WorkerAnswer =
  | {
      readonly ok: true;
      readonly jobs: { name: string; system: string; drvPath: string; outputs: Record<string, string> }[];
      readonly drvFiles: Record<string, string>;
      readonly sources: Record<string, string>;
    }
  | { readonly ok: false; readonly reason: EvaluationFailureReason; readonly message: string };

/** The end of the jobs program's stderr kept to recognise its words for running out of memory. */
const stderrKeptChars = 16 * 1024;

class Refusal extends Error {
  constructor(
    readonly reason: EvaluationFailureReason,
    message: string,
  ) {
    super(message);
  }
}

/** The real path of `relative` in the checkout, refused when it (or a symlink on the way) leaves it. */
async function insideCheckout(root: string, relative: string, what: string): Promise<string> {
  const path = join(root, relative);
  // Outside by its very name (`../…`, or absolute), whether or not something is there.
  if (path !== root && !path.startsWith(root + sep))
    throw new Refusal(
      'malformed-jobset',
      `${what} '${relative}' is outside the checkout: name a file inside it`,
    );
  const real = await realpath(path).catch(() => {
    throw new Refusal('malformed-jobset', `${what} '${relative}' does not exist in the checkout`);
  });
  if (real !== root && !real.startsWith(root + sep)) {
    throw new Refusal('malformed-jobset', `${what} '${relative}' resolves outside the checkout (${real})`);
  }
  return path;
}

/**
 * Runs the jobs program and resolves with its stdout. It is not waited on past its exit but for
 * `closeAfterExit`'s grace: a background process it left in a session of its own would hold its
 * pipes open, and the evaluation would run into its time limit. Its stderr goes to the log as it
 * comes, so a program stopped by the limit leaves what it said.
 */
function runProgram(program: string, cwd: string, request: WorkerRequest): Promise<string> {
  const maxBuffer = request.outputBytes;
  const [command, args] = withMemoryLimit(program, [], request.memoryBytes);
  // In this process's group, which the parent's limits kill; stdin closed, as there is nothing to read.
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  let printed = 0;
  let overflowed = false;
  let spawnError: Error | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    printed += chunk.length;
    if (printed <= maxBuffer) stdout.push(chunk);
    else if (!overflowed) {
      overflowed = true;
      child.kill('SIGKILL');
    }
  });
  let said = '';
  child.stderr.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    said = (said + chunk.toString('utf8')).slice(-stderrKeptChars);
  });
  child.on('error', (error) => {
    spawnError = error;
  });
  const closeStdio = () => {
    child.stdout.destroy();
    child.stderr.destroy();
  };
  return closeAfterExit(child, closeStdio).then(({ code, signal, heldOpen }) => {
    if (heldOpen) {
      process.stderr.write(
        `\n[tally] the jobs program ${program} exited, but a process it started held its output open past ${pipeGraceMs} ms; the rest was not read\n`,
      );
    }
    if (spawnError) {
      throw new Refusal(
        'evaluator-error',
        `the jobs program ${program} could not start: ${spawnError.message}`,
      );
    }
    if (overflowed) {
      throw new Refusal(
        'output-too-large',
        `the jobs program ${program} printed more than ${maxBuffer} bytes`,
      );
    }
    if (code === 0) return Buffer.concat(stdout).toString('utf8');
    if (outOfMemoryWords.test(said)) {
      throw new Refusal(
        'out-of-memory',
        `the jobs program ${program} ran out of its ${request.memoryBytes} bytes of memory`,
      );
    }
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    throw new Refusal('evaluator-error', `the jobs program ${program} failed with ${how}`);
  });
}

async function readJobsetText(request: WorkerRequest, root: string): Promise<string> {
  const entry = await insideCheckout(root, request.entry, 'the entry');
  if (request.entry.endsWith('.json')) return readFile(entry, 'utf8');
  return runProgram(entry, root, request);
}

async function evaluate(request: WorkerRequest): Promise<WorkerAnswer> {
  const root = await realpath(request.checkoutDir);
  const text = await readJobsetText(request, root);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Refusal('malformed-jobset', `${request.entry} is not JSON: ${(error as Error).message}`);
  }
  const parsed = parseJobset(value);
  if (!parsed.ok) throw new Refusal('malformed-jobset', parsed.problems.map(describeProblem).join('\n'));
  const sources = new Map<string, { storePath: string; from: string }>();
  for (const spec of parsed.jobset.jobs) {
    for (const source of spec.sources) {
      if (sources.has(source)) continue;
      const from = await insideCheckout(root, source, `job '${spec.job}': source`);
      const { hash } = await hashPath(from);
      sources.set(source, { storePath: makeSourcePath(basename(source), hash, [], request.storeDir), from });
    }
  }
  const jobs = instantiateJobset(parsed.jobset, (path) => sources.get(path)!.storePath, request.storeDir);
  return {
    ok: true,
    jobs: jobs.map(({ name, system, drvPath, outputs }) => ({ name, system, drvPath, outputs })),
    drvFiles: Object.fromEntries(jobs.map((job) => [job.drvPath, job.drvText])),
    sources: Object.fromEntries([...sources.values()].map(({ storePath, from }) => [storePath, from])),
  };
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '') as WorkerRequest;
  let answer: WorkerAnswer;
  try {
    answer = await evaluate(request);
  } catch (error) {
    if (!(error instanceof Refusal)) {
      process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
    }
    const reason = error instanceof Refusal ? error.reason : 'evaluator-error';
    answer = { ok: false, reason, message: (error as Error)?.message ?? String(error) };
  }
  process.stdout.write(JSON.stringify(answer));
}

await main();
