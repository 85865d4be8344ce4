/**
 * The process groups of the builds running now, written down in a directory of the server's data
 * (one file per group, named by its leader's pid), so that a start after a crash finds what the
 * crashed run left running and kills it before its builds are queued again (`left-builds.ts`).
 *
 * A record names the leader's start time and pid namespace, so that a pid reused since is never
 * taken for the build, and the server that started it, so that a server still running on the same
 * data directory keeps its builds.
 */
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ownerTag, ownPidNamespace, processStart } from '../processes/process-start.ts';

/** One running build's process group, as written down. */
export interface RunningBuildRecord {
  /** The group's leader, whose pid is the group's id. */
  readonly pid: number;
  /** The leader's start (`processStart`). */
  readonly started: string;
  /** The pid namespace the pid means something in. */
  readonly pidNamespace?: string;
  /** The server that started it (`ownerTag`). */
  readonly server: string;
  /** What it builds, for the log. */
  readonly drvPath: string;
}

/** Where builds write themselves down while they run. */
export interface RunningBuilds {
  /** Writes down the group that `pid` leads, just started to build `drvPath`; never rejects. */
  add(pid: number, drvPath: string): Promise<void>;
  /** Forgets the group that `pid` led, once it has been killed; never rejects. */
  remove(pid: number): Promise<void>;
}

const suffix = '.json';

export function createRunningBuilds(dir: string, logger: Logger): RunningBuilds {
  let made: Promise<unknown> | undefined;
  const file = (pid: number) => join(dir, `${pid}${suffix}`);
  return {
    async add(pid, drvPath) {
      const started = processStart(pid);
      // Gone already, or no /proc: nothing a later start could tell from another process.
      if (started === undefined) return;
      const record: RunningBuildRecord = {
        pid,
        started,
        ...(ownPidNamespace !== undefined && { pidNamespace: ownPidNamespace }),
        server: ownerTag(),
        drvPath,
      };
      try {
        made ??= mkdir(dir, { recursive: true });
        await made;
        // Whole or not at all: a crash while writing must not leave a record that cannot be read.
        await writeFile(`${file(pid)}.tmp`, JSON.stringify(record));
        await rename(`${file(pid)}.tmp`, file(pid));
      } catch (error) {
        made = undefined;
        logger.warn({ drvPath, buildPid: pid, err: error }, 'a running build could not be written down');
      }
    },
    async remove(pid) {
      await unlink(file(pid)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT')
          logger.warn({ buildPid: pid, err: error }, 'a build record could not be removed');
      });
    },
  };
}

/** The records in `dir`, each with its file; a record that cannot be read is `undefined`. */
export async function readRunningBuilds(
  dir: string,
): Promise<Array<{ readonly file: string; readonly record: RunningBuildRecord | undefined }>> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  const found = [];
  for (const name of names) {
    // A `.tmp` left by a crash while writing is written over by the next build with its pid.
    if (!name.endsWith(suffix)) continue;
    const file = join(dir, name);
    found.push({ file, record: parseRecord(await readFile(file, 'utf8').catch(() => '')) });
  }
  return found;
}

function parseRecord(text: string): RunningBuildRecord | undefined {
  try {
    const value = JSON.parse(text) as Partial<RunningBuildRecord>;
    const valid =
      Number.isSafeInteger(value.pid) &&
      (value.pid ?? 0) > 1 &&
      typeof value.started === 'string' &&
      typeof value.server === 'string' &&
      typeof value.drvPath === 'string' &&
      (value.pidNamespace === undefined || typeof value.pidNamespace === 'string');
    return valid ? (value as RunningBuildRecord) : undefined;
  } catch {
    return undefined;
  }
}
