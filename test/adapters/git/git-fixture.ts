/**
 * Real git repositories for tests, made in temporary directories with a fixed author, committer and
 * date (so a commit's hash and time are known in advance), and a TCP server that accepts connections
 * and never answers, standing in for a remote that hangs.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { dirname, join } from 'node:path';

/** The committer date every fixture commit carries, and the ISO time `listBranches` reads from it. */
export const commitDate = '2024-01-02T03:04:05+02:00';
export const commitTimeIso = '2024-01-02T01:04:05.000Z';

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Tally Test',
  GIT_AUTHOR_EMAIL: 'test@tally.invalid',
  GIT_AUTHOR_DATE: commitDate,
  GIT_COMMITTER_NAME: 'Tally Test',
  GIT_COMMITTER_EMAIL: 'test@tally.invalid',
  GIT_COMMITTER_DATE: commitDate,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  LC_ALL: 'C',
};

/** Runs git in `cwd` and answers its trimmed standard output. */
export const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' }).trim();

/** Writes files (a content starting with `#!` is made executable) and commits them; answers the new head. */
export function commit(repo: string, files: Record<string, string>, message = 'change'): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), content);
    if (content.startsWith('#!')) chmodSync(join(repo, path), 0o755);
  }
  git(repo, 'add', '--all');
  git(repo, 'commit', '--quiet', '--allow-empty', '-m', message);
  return git(repo, 'rev-parse', 'HEAD');
}

/** A repository at `dir` whose `main` holds `files` in one commit. */
export function makeRepo(dir: string, files: Record<string, string> = { 'README.md': 'first\n' }): string {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '--quiet', '--initial-branch=main');
  commit(dir, files, 'first');
  return dir;
}

/** Makes `branch` at the current head, commits `files` on it, and goes back to `main`; answers its head. */
export function branchWith(repo: string, branch: string, files: Record<string, string>): string {
  git(repo, 'checkout', '--quiet', '-b', branch);
  const head = commit(repo, files, `on ${branch}`);
  git(repo, 'checkout', '--quiet', 'main');
  return head;
}

/** Removes a directory (a repository a test breaks or a mirror it resets). */
export const remove = (path: string) => rmSync(path, { recursive: true, force: true });

export interface SilentServer {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: () => number;
  close(): Promise<void>;
}

/** A 127.0.0.1 TCP server that accepts every connection and never writes a byte. */
export async function silentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the silent server has no port');
  return {
    port: address.port,
    accepted: () => accepted,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port nothing listens on (bound, then released), within `[low, high]` when given. */
export async function closedPort(low = 0, high = 0): Promise<number> {
  for (let port = low; port <= high; port++) {
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!bound) continue;
    const address = server.address();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (address && typeof address !== 'string') return address.port;
  }
  throw new Error(`no free port between ${low} and ${high}`);
}
