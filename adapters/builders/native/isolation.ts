/**
 * Optional isolation of native builds with bubblewrap. `none` runs the builder as is; `bwrap`
 * requires a working bwrap and fails every build without one; `auto` uses bwrap when the trial
 * sandbox works and says once, in the log, why builds run without isolation when it does not.
 *
 * Under bwrap the builder writes its outputs into a staging directory (mounted at the store
 * directory inside the sandbox) next to the real store; once it has exited, the outputs are moved
 * into place and everything else it left there is removed.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, rename } from 'node:fs/promises';
import { constants } from 'node:os';
import { basename, join } from 'node:path';
import type { Logger } from 'pino';
import type { RunEnd } from '../run-logged.ts';
import { type BubblewrapAvailability, detectBubblewrap } from './bubblewrap.ts';
import { bwrapArguments } from './bwrap-args.ts';
import { removeTree } from './remove-tree.ts';
import { defaultSystemPaths, resolveSystemPaths } from './system-paths.ts';

/** How native builds are isolated. */
export type IsolationMode = 'none' | 'bwrap' | 'auto';

export const isolationModes: readonly IsolationMode[] = ['none', 'bwrap', 'auto'];

export interface IsolationOptions {
  readonly mode: IsolationMode;
  /** Host paths a sandboxed builder may read; `defaultSystemPaths` when absent. */
  readonly systemPaths?: readonly string[];
  /** The bwrap binary; found on `PATH` when absent. */
  readonly bwrapPath?: string;
  /** Told once whether builds are isolated, and why not. */
  readonly logger?: Logger;
}

/** One build about to start. */
export interface BuildSetup {
  readonly storeDir: string;
  readonly buildDir: string;
  readonly builder: string;
  readonly args: readonly string[];
  /** The store paths the builder may read. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Fixed-output derivations keep the network. */
  readonly network: boolean;
}

/** How to start the builder, and what to do once it has exited. */
export interface PreparedRun {
  readonly command: string;
  readonly args: readonly string[];
  /** Whether the builder runs in a sandbox. */
  readonly isolated: boolean;
  /** How the builder ended, from how the started command ended. */
  builderEnd(end: RunEnd): RunEnd;
  /** After the builder exited: moves the outputs it made into the store. */
  collect(): Promise<void>;
  /** Always, last: removes what the run left besides the outputs. */
  dispose(): Promise<void>;
}

const isolationUnavailableCode = 'TALLY_BUILD_ISOLATION_UNAVAILABLE';

/** Isolation was required (`bwrap`) but bwrap cannot run here. */
export class IsolationUnavailable extends Error {
  readonly code = isolationUnavailableCode;
}

export interface Isolation {
  readonly mode: IsolationMode;
  /** Whether builds will run in a sandbox (detects bwrap on first use). */
  active(): Promise<boolean>;
  /** How to run one build; rejects with `IsolationUnavailable` when `bwrap` cannot be honoured. */
  prepare(setup: BuildSetup): Promise<PreparedRun>;
}

const stagingPrefix = '.tally-isolated-';

export function createIsolation(options: IsolationOptions): Isolation {
  let availability: Promise<BubblewrapAvailability> | undefined;
  const detect = () => {
    availability ??= detectBubblewrap(options.bwrapPath ? { path: options.bwrapPath } : {}).then((found) => {
      report(options, found);
      return found;
    });
    return availability;
  };
  const bwrapPath = async (): Promise<string | undefined> => {
    if (options.mode === 'none') return undefined;
    const found = await detect();
    if (found.usable) return found.path;
    if (options.mode === 'auto') return undefined;
    throw new IsolationUnavailable(
      `${isolationUnavailableCode}: builds must be isolated with bwrap, but ${found.why}; ` +
        "install bubblewrap (and allow user namespaces), or use isolation 'auto' or 'none'",
    );
  };
  return {
    mode: options.mode,
    active: async () => (await bwrapPath()) !== undefined,
    prepare: async (setup) => {
      const path = await bwrapPath();
      return path === undefined ? unisolated(setup) : sandboxed(path, setup, options);
    },
  };
}

function report(options: IsolationOptions, found: BubblewrapAvailability): void {
  const logger = options.logger?.child({ component: 'native-builder' });
  if (found.usable)
    logger?.info({ bwrap: found.path, version: found.version }, 'builds are isolated with bwrap');
  else if (options.mode === 'auto') logger?.warn({ why: found.why }, 'builds run without isolation');
  else logger?.error({ why: found.why }, 'builds must be isolated but bwrap cannot run');
}

function unisolated(setup: BuildSetup): PreparedRun {
  return {
    command: setup.builder,
    args: setup.args,
    isolated: false,
    builderEnd: (end) => end,
    collect: async () => {},
    dispose: async () => {},
  };
}

async function sandboxed(bwrap: string, setup: BuildSetup, options: IsolationOptions): Promise<PreparedRun> {
  // Inside the store directory, so the outputs move into place by rename; named as the store's
  // temporaries are, so one left by a crash is removed when the store is next opened.
  const stagingDir = join(
    setup.storeDir,
    `${stagingPrefix}${process.pid}-${randomBytes(6).toString('hex')}.tmp`,
  );
  await mkdir(stagingDir, { mode: 0o755 });
  const systemPaths = await resolveSystemPaths(options.systemPaths ?? defaultSystemPaths);
  const args = bwrapArguments(
    {
      storeDir: setup.storeDir,
      stagingDir,
      buildDir: setup.buildDir,
      inputs: [...new Set(setup.inputs)],
      systemPaths,
      network: setup.network,
    },
    setup.builder,
    setup.args,
  );
  return {
    command: bwrap,
    args,
    isolated: true,
    builderEnd: signalOfExitCode,
    collect: async () => {
      for (const output of setup.outputs) {
        const staged = join(stagingDir, basename(output));
        if (await lstat(staged).catch(() => undefined)) await rename(staged, output);
      }
    },
    dispose: () => removeTree(stagingDir),
  };
}

const signalNames = new Map<number, string>(
  Object.entries(constants.signals).map(([name, number]) => [number, name]),
);

/**
 * bwrap exits with 128 + n when the builder was killed by signal n (as a shell reports it), so that
 * code is read back as the signal: a builder that exits with such a code itself is rare.
 */
function signalOfExitCode(end: RunEnd): RunEnd {
  if (end.kind !== 'exited' || end.code <= 128) return end;
  const signal = signalNames.get(end.code - 128);
  return signal === undefined ? end : { kind: 'signalled', signal };
}
