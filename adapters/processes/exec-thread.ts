/** `execFile` off the event loop (see `command-thread.ts`), for short commands such as git's. */
import { startJob } from './command-thread.ts';
import { signalGroup } from './spawn-thread.ts';

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

/**
 * Runs `file` with `args` on the command thread; resolves with its output, failed or not. The time
 * limit kills the command's whole process group, not the command alone: git's transport helpers
 * (git-remote-https) are its children, and went on running, a pair per fetch that timed out.
 */
export function execFileOffThread(
  file: string,
  args: readonly string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  const { timeout, killSignal = 'SIGTERM', ...rest } = options;
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    // The thread's own process.env is a copy made when it started: pass this thread's, as it is now.
    const withEnv = { ...rest, killSignal, env: options.env ?? process.env };
    startJob({ kind: 'exec', file, args: [...args], options: withEnv }, (message) => {
      if (message.kind === 'spawned') {
        if (timeout !== undefined && timeout > 0)
          timer = setTimeout(() => {
            timedOut = true;
            signalGroup(Number(message.pid), killSignal);
          }, timeout);
        return false;
      }
      clearTimeout(timer);
      if (message.kind === 'error') reject(new Error(String(message.message)));
      else {
        const { stdout, stderr, error } = message as unknown as ExecResult;
        const failed = error && { ...error, killed: error.killed || timedOut };
        resolve({ stdout, stderr, ...(failed && { error: failed }) });
      }
      return true;
    });
  });
}
