/**
 * Killing the builds a previous run of the server left running (`running-builds.ts`), at start and
 * before anything is requeued: a build process of a crashed run still writing into its output and
 * temporary paths would corrupt what the requeued build registers there.
 *
 * Normally nothing is left: a build's process group dies with the server that started it
 * (`dies-with-server.ts`). This is for what escaped it, such as a watcher killed by the OOM killer.
 */
import { unlink } from 'node:fs/promises';
import type { Logger } from 'pino';
import {
  isTaggedOwnerRunning,
  ownPidNamespace,
  processStart,
  processState,
} from '../processes/process-start.ts';
import { signalGroup } from '../processes/spawn-thread.ts';
import { unreachable } from './builder.ts';
import { type RunningBuildRecord, readRunningBuilds } from './running-builds.ts';

/** What became of one record. */
export type LeftBuild =
  /** Its leader still ran as recorded, and its group was killed. */
  | 'killed'
  /** Its group was sent SIGKILL, but its leader still ran a while later (stuck in the kernel). */
  | 'still-running'
  /** The server that started it still runs (another server on this data directory): its build. */
  | 'still-owned'
  /** Its leader had ended. */
  | 'ended'
  /** Its pid now belongs to another process, which is left alone. */
  | 'pid-reused'
  /** Recorded in another pid namespace, where its pid means nothing here. */
  | 'elsewhere';

/** How long a killed group's leader may take to be gone before the start goes on anyway. */
const goneWithinMs = 5000;

/** Kills what the records in `dir` show left running, logs it, and removes their records. */
export async function killLeftBuilds(dir: string, logger: Logger): Promise<void> {
  for (const { file, record } of await readRunningBuilds(dir)) {
    if (record === undefined) {
      logger.warn({ file }, 'an unreadable build record was removed');
      await unlink(file).catch(() => undefined);
      continue;
    }
    // Not `pid`: the server's log names its own pid under that key.
    const { drvPath, pid: buildPid } = record;
    const outcome = await settleLeftBuild(record);
    switch (outcome) {
      case 'killed':
        logger.warn({ drvPath, buildPid }, 'killed a build that a previous run of the server left running');
        break;
      case 'still-running':
        logger.error(
          { drvPath, buildPid },
          `a build that a previous run of the server left running was killed but still ran ${goneWithinMs} ms later`,
        );
        break;
      case 'still-owned':
        logger.info(
          { drvPath, buildPid, server: record.server },
          'a build of another running server was left alone',
        );
        continue; // its server removes the record
      case 'ended':
        break;
      case 'pid-reused':
        logger.info(
          { drvPath, buildPid },
          'a left build had ended; its pid now runs another process, left alone',
        );
        break;
      case 'elsewhere':
        logger.info(
          { drvPath, buildPid, pidNamespace: record.pidNamespace },
          'a build recorded in another pid namespace was left alone',
        );
        break;
      default:
        return unreachable(outcome);
    }
    await unlink(file).catch(() => undefined);
  }
}

async function settleLeftBuild(record: RunningBuildRecord): Promise<LeftBuild> {
  const owner = isTaggedOwnerRunning(record.server);
  if (owner === undefined || (record.pidNamespace ?? ownPidNamespace) !== ownPidNamespace) return 'elsewhere';
  if (owner) return 'still-owned';
  const started = processStart(record.pid);
  if (started === undefined) return 'ended';
  if (started !== record.started) return 'pid-reused';
  // The leader is the build's own (same pid, same start; a zombie too keeps its pid from reuse), so
  // the group is the build's.
  signalGroup(record.pid, 'SIGKILL');
  const deadline = Date.now() + goneWithinMs;
  while (isRunningAsRecorded(record) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  return isRunningAsRecorded(record) ? 'still-running' : 'killed';
}

/** The recorded leader, alive (a zombie has stopped running; only its parent's wait is missing). */
function isRunningAsRecorded(record: RunningBuildRecord): boolean {
  return processStart(record.pid) === record.started && processState(record.pid) !== 'Z';
}
