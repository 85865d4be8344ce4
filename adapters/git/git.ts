/**
 * Running the real `git` for the poller: no shell, no terminal prompts, a time limit after which the
 * process is killed, credentials only through a credential-store file (never on a command line or in
 * a message), and failures classified the way the checkout events name them.
 */
import { rename, rm, stat } from 'node:fs/promises';
import type { PollFailureReason } from '../../domain/checkout/checkout.ts';
import { execFileOffThread } from '../processes/exec-thread.ts';

export interface GitOptions {
  readonly timeoutMs: number;
  /** A file in git's credential-store format (`https://user:token@host` per line). */
  readonly credentialsFile?: string;
}

export class GitError extends Error {
  constructor(
    readonly reason: PollFailureReason,
    message: string,
  ) {
    super(message);
  }
}

/** Removes `user:password@` from URLs, so nothing secret reaches an event or a log. */
export function redact(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1***@');
}

function classify(stderr: string, timedOut: boolean): PollFailureReason {
  if (timedOut) return 'timed-out';
  if (
    /authentication failed|could not read (username|password)|permission denied|returned error: 403/i.test(
      stderr,
    )
  )
    return 'auth-failed';
  if (/not found|does not appear to be a git repository|does not exist|no such/i.test(stderr))
    return 'not-found';
  return 'fetch-failed';
}

export async function runGit(args: readonly string[], options: GitOptions): Promise<string> {
  const config = options.credentialsFile
    ? ['-c', `credential.helper=store --file=${options.credentialsFile}`]
    : [];
  // Off the event loop: a server polling many repositories would stall on every spawn.
  const { stdout, stderr, error } = await execFileOffThread('git', [...config, ...args], {
    timeout: options.timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '/bin/false', LC_ALL: 'C' },
  });
  if (!error) return stdout;
  const timedOut = error.killed;
  const full = redact(String(stderr || error.message));
  // git says what went wrong in its first fatal line and adds generic advice after it.
  const lines = full.split('\n').filter((line) => line.trim() !== '');
  const first = Math.max(
    0,
    lines.findIndex((line) => /^(fatal|error):/.test(line)),
  );
  const said = lines.slice(first, first + 4).join('\n');
  throw new GitError(
    classify(full, timedOut),
    timedOut ? `git gave up after ${options.timeoutMs} ms: ${said}` : said,
  );
}

/** A bare mirror of `url` in `dir`, cloned the first time and fetched (pruning deleted branches) after. */
export async function fetchMirror(dir: string, url: string, options: GitOptions): Promise<void> {
  const present = await stat(dir).then(
    () => true,
    () => false,
  );
  if (!present) {
    // A clone killed at its time limit leaves a mirror without its refspec, which later fetches
    // would fill with nothing: clone beside it and move it in place only once it is whole.
    const partial = `${dir}.partial`;
    await rm(partial, { recursive: true, force: true });
    try {
      await runGit(['clone', '--quiet', '--mirror', '--', url, partial], options);
    } catch (error) {
      await rm(partial, { recursive: true, force: true });
      throw error;
    }
    await rename(partial, dir);
    return;
  }
  await runGit(['--git-dir', dir, 'remote', 'set-url', 'origin', url], options);
  await runGit(['--git-dir', dir, 'fetch', '--quiet', '--prune', 'origin'], options);
}

/** Every branch of a mirror: name → head commit and its committer time. */
export async function listBranches(
  dir: string,
  options: GitOptions,
): Promise<Map<string, { commit: string; commitTime: string }>> {
  const out = await runGit(
    [
      '--git-dir',
      dir,
      'for-each-ref',
      '--format=%(refname:strip=2)%00%(objectname)%00%(committerdate:iso-strict)',
      'refs/heads',
    ],
    options,
  );
  const branches = new Map<string, { commit: string; commitTime: string }>();
  for (const line of out.split('\n')) {
    const [name, commit, time] = line.split('\0');
    if (!name || !commit || !time) continue;
    branches.set(name, { commit, commitTime: new Date(time).toISOString() });
  }
  return branches;
}
