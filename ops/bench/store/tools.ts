/** Whether a command is on PATH, and running one to its end with a time limit. */
import { spawn } from 'node:child_process';

/** True when `command` is on PATH. */
export async function which(command: string): Promise<boolean> {
  const result = await run('sh', ['-c', `command -v ${command}`], 10_000).catch(() => undefined);
  return result?.code === 0;
}

/** Runs a command, collecting stdout; rejects past `timeoutMs` (the child is killed). */
export function run(
  command: string,
  args: readonly string[],
  timeoutMs: number,
  options: { readonly cwd?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
      if (stderr.length > 1 << 20) stderr = stderr.slice(-(1 << 19));
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ').slice(0, 80)} ran past ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
