/**
 * Finding out whether bubblewrap (`bwrap`) can isolate builds here. Being installed is not enough:
 * in a container without user namespaces (or without the privilege to mount) every sandbox fails
 * at its first step. So a trial sandbox with the same kinds of namespaces and mounts that builds
 * use is started once, and its error, if any, is kept to tell the operator why isolation is off.
 */
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/** Whether bwrap can run sandboxes on this machine. */
export type BubblewrapAvailability =
  /** It ran a trial sandbox; `path` is the binary to run. */
  | { readonly usable: true; readonly path: string; readonly version: string }
  /** It is missing or refused the trial; `why` says which, for people. */
  | { readonly usable: false; readonly why: string };

export interface DetectOptions {
  /** The binary to try; by default `bwrap` found on `searchPath`. */
  readonly path?: string;
  /** Directories searched for `bwrap`; by default this process's `PATH`. */
  readonly searchPath?: string;
}

const trialTimeoutMs = 10_000;

async function findOnPath(name: string, searchPath: string): Promise<string | undefined> {
  for (const dir of searchPath.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    const executable = await access(candidate, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (executable) return candidate;
  }
  return undefined;
}

function run(path: string, args: readonly string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(path, args, { timeout: trialTimeoutMs, env: {} }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim() || (error?.message ?? '');
      resolve({ ok: error === null, output });
    });
  });
}

/** Looks for bwrap and runs a trial sandbox: no network, its own pids, /proc, /dev, a read-only root. */
export async function detectBubblewrap(options: DetectOptions = {}): Promise<BubblewrapAvailability> {
  const path = options.path ?? (await findOnPath('bwrap', options.searchPath ?? process.env.PATH ?? ''));
  if (path === undefined) return { usable: false, why: 'bwrap is not installed (not found on PATH)' };
  const version = await run(path, ['--version']);
  if (!version.ok) return { usable: false, why: `${path} --version failed: ${version.output}` };
  const trial = await run(path, [
    '--unshare-all',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--ro-bind',
    '/',
    '/',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--',
    '/bin/true',
  ]);
  if (!trial.ok) return { usable: false, why: `a trial sandbox failed: ${trial.output}` };
  return { usable: true, path, version: version.output };
}
