/**
 * A clean tree of one commit of a bare mirror, for an evaluator to read: `git archive` piped into
 * `tar`, no shell, a time limit on both. The mirror itself is never changed (no index, no work tree).
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';

const commitPattern = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

export class ExportError extends Error {
  readonly code = 'TALLY_GIT_EXPORT_FAILED';
}

export async function exportCommit(
  mirrorDir: string,
  commit: string,
  targetDir: string,
  timeoutMs = 120_000,
): Promise<void> {
  if (!commitPattern.test(commit)) throw new ExportError(`'${commit}' is not a full commit hash`);
  await mkdir(targetDir, { recursive: true });
  await new Promise<void>((resolve, reject) => {
    const archive = spawn('git', ['--git-dir', mirrorDir, 'archive', '--format=tar', commit], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tar = spawn('tar', ['-x', '-C', targetDir], { stdio: ['pipe', 'ignore', 'pipe'] });
    archive.stdout.pipe(tar.stdin);
    let errors = '';
    archive.stderr.on('data', (chunk) => {
      errors += chunk;
    });
    tar.stderr.on('data', (chunk) => {
      errors += chunk;
    });
    const timer = setTimeout(() => {
      archive.kill('SIGKILL');
      tar.kill('SIGKILL');
      errors += `\ngave up after ${timeoutMs} ms`;
    }, timeoutMs);
    // Both must have ended before the verdict; a tar that exits early only breaks git's pipe.
    tar.stdin.on('error', () => undefined);
    let archiveCode: number | null | undefined;
    let tarCode: number | null | undefined;
    const settle = () => {
      if (archiveCode === undefined || tarCode === undefined) return;
      clearTimeout(timer);
      if (tarCode === 0 && archiveCode === 0) resolve();
      else
        reject(
          new ExportError(
            `commit ${commit} could not be exported: ${errors.trim().split('\n').slice(-3).join(' ')}`,
          ),
        );
    };
    archive.on('error', (error) => reject(new ExportError(`git could not run: ${error.message}`)));
    tar.on('error', (error) => reject(new ExportError(`tar could not run: ${error.message}`)));
    archive.on('close', (code) => {
      archiveCode = code;
      settle();
    });
    tar.on('close', (code) => {
      tarCode = code;
      settle();
    });
  });
}
