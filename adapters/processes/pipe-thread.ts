/**
 * Two commands joined by a pipe (`from`'s stdout into `to`'s stdin), started off the event loop
 * (see `command-thread.ts`), with a time limit on both.
 */
import { startJob, tellJob } from './command-thread.ts';

export interface PipedCommand {
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface PipeResult {
  /** Each command's exit code, or the signal that ended it. */
  readonly codes: readonly [number | string, number | string];
  /** The last 16 KiB both wrote on stderr. */
  readonly stderr: string;
  /** Set when a command could not start. */
  readonly error?: string;
  /** True when the time limit killed them. */
  readonly timedOut: boolean;
}

// The thread's own process.env is a copy made when it started: pass this thread's, as it is now.
const options = ({ cwd, env }: PipedCommand) => ({ ...(cwd && { cwd }), env: env ?? process.env });

/** Runs `from | to`; resolves when both have ended. */
export function pipeOffThread(from: PipedCommand, to: PipedCommand, timeoutMs: number): Promise<PipeResult> {
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const id = startJob(
      {
        kind: 'pipe',
        from: { file: from.file, args: [...from.args], options: options(from) },
        to: { file: to.file, args: [...to.args], options: options(to) },
      },
      (message) => {
        clearTimeout(timer);
        if (message.kind === 'error') reject(new Error(String(message.message)));
        else {
          const { codes, stderr, error } = message as unknown as Omit<PipeResult, 'timedOut'>;
          resolve({ codes, stderr, ...(error && { error }), timedOut });
        }
        return true;
      },
    );
    const timer = setTimeout(() => {
      timedOut = true;
      tellJob(id, { kind: 'kill' });
    }, timeoutMs);
  });
}
