/**
 * Runs the real `tally` executable as a user would: a separate process, its output collected, and a
 * way to wait for a particular line instead of sleeping.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const root = new URL('../..', import.meta.url).pathname;

export interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts `node ops/cli/bin.js …args` in the repository; only `--data` decides the data directory. */
export function startTally(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ['ops/cli/bin.js', ...args], {
    cwd: root,
    env: { ...process.env, TALLY_DATA: '', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Collects a process's output and resolves when it has exited. */
export function finished(child: ChildProcess): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

/** Runs `tally …args` to completion. */
export const tally = (args: string[], env?: NodeJS.ProcessEnv) => finished(startTally(args, env));

/** Resolves with the first stdout line that satisfies `match` (lines before it are dropped). */
export function lineMatching(child: ChildProcess, match: (line: string) => boolean): Promise<string> {
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      if (match(line)) {
        lines.close();
        resolve(line);
      }
    });
    child.on('close', () => reject(new Error('tally exited before printing the expected line')));
  });
}
