/** `execFile` off the event loop (see `command-thread.ts`), for short commands such as git's. */
import { startJob } from './command-thread.ts';

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

/** Runs `file` with `args` on the command thread; resolves with its output, failed or not. */
export function execFileOffThread(
  file: string,
  args: readonly string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    // The thread's own process.env is a copy made when it started: pass this thread's, as it is now.
    const withEnv = { ...options, env: options.env ?? process.env };
    startJob({ kind: 'exec', file, args: [...args], options: withEnv }, (message) => {
      if (message.kind === 'error') reject(new Error(String(message.message)));
      else {
        const { stdout, stderr, error } = message as unknown as ExecResult;
        resolve({ stdout, stderr, ...(error && { error }) });
      }
      return true;
    });
  });
}
