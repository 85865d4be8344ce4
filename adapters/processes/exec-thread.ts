/**
 * `execFile` off the event loop. Starting a child process blocks the calling thread until the
 * child has exec'd — 7 to 25 ms each on a small virtual machine, measured — so a server that polls
 * hundreds of repositories with git stalls every request in flight each time. Here the spawn
 * happens on a thread of its own (`exec-thread.js`) and only the output comes back.
 *
 * The thread starts on first use and does not keep the process alive when no command runs.
 */
import { Worker } from 'node:worker_threads';

/** The options of `execFile` that a command run off the event loop can take. */
export interface ExecOptions {
  readonly timeout?: number;
  readonly killSignal?: NodeJS.Signals;
  readonly maxBuffer?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** How a command failed, as `execFile` reports it. */
export interface ExecFailure {
  readonly message: string;
  /** The exit code, or an errno code such as `ENOENT` when the command could not start. */
  readonly code?: number | string;
  /** True when the timeout (or the output limit) killed it. */
  readonly killed: boolean;
  readonly signal?: string;
}

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly error?: ExecFailure;
}

interface Pending {
  resolve(result: ExecResult): void;
  reject(error: Error): void;
}

let worker: Worker | undefined;
const pending = new Map<number, Pending>();
let nextId = 0;

function thread(): Worker {
  if (worker) return worker;
  const started = new Worker(new URL('./exec-thread.js', import.meta.url));
  started.on('message', (answer: ExecResult & { id: number }) => {
    const waiting = pending.get(answer.id);
    pending.delete(answer.id);
    if (pending.size === 0) started.unref();
    waiting?.resolve({
      stdout: answer.stdout,
      stderr: answer.stderr,
      ...(answer.error && { error: answer.error }),
    });
  });
  const fail = (error: Error) => {
    if (worker === started) worker = undefined;
    for (const waiting of pending.values()) waiting.reject(error);
    pending.clear();
  };
  started.on('error', fail);
  started.on('exit', (code) => fail(new Error(`the command thread stopped (exit ${code})`)));
  worker = started;
  return started;
}

/** Runs `file` with `args` on the command thread; resolves with its output, failed or not. */
export function execFileOffThread(
  file: string,
  args: readonly string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  const running = thread();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    running.ref();
    running.postMessage({ id, file, args: [...args], options });
  });
}
