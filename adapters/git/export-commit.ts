/**
 * A clean tree of one commit of a bare mirror, for an evaluator to read: `git archive` piped into
 * `tar`, no shell, a time limit on both. The mirror itself is never changed (no index, no work tree).
 */
import { mkdir } from 'node:fs/promises';
import { pipeOffThread } from '../processes/pipe-thread.ts';

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
  // Off the event loop: each spawn blocks its thread until the child has exec'd.
  const result = await pipeOffThread(
    { file: 'git', args: ['--git-dir', mirrorDir, 'archive', '--format=tar', commit] },
    { file: 'tar', args: ['-x', '-C', targetDir] },
    timeoutMs,
  );
  if (result.error) throw new ExportError(result.error);
  if (result.codes[0] === 0 && result.codes[1] === 0) return;
  const said = `${result.stderr}${result.timedOut ? `\ngave up after ${timeoutMs} ms` : ''}`;
  throw new ExportError(
    `commit ${commit} could not be exported: ${said.trim().split('\n').slice(-3).join(' ')}`,
  );
}
