/**
 * Turning a completed evaluation into builds: one build per derivation of the jobs' closure, shared
 * with every other job and specification that produces the same `.drv`. A build that has ended is
 * reused, recorded on the evaluation's stream (`reused-builds.ts`). Another derivation already known
 * only records the new jobs that want it, appended having read only the last event of its build's
 * stream (a cancelled one is decided on its history: a new evaluation brings it back). A new one is
 * queued with its input derivations as dependencies, then substituted at once when its outputs are
 * already in Tally's store or an upstream cache.
 *
 * Every append stays under the store's 1 MiB: the jobs wanting one derivation (aliases of a package
 * can be thousands) are recorded a few hundred kilobytes at a time. A derivation whose own record
 * cannot fit (tens of thousands of inputs) is reported and passed over, not tried again for ever.
 */
import type { Wanter } from '../../../domain/build/build.ts';
import {
  type BuildCommand,
  buildDecider,
  keepsStatusAfterEnd,
  type QueueBuild,
  wantExisting,
} from '../../../domain/build/index.ts';
import { inSequence } from '../../../domain/shared/decider.ts';
import type { Cause } from '../../../domain/shared/metadata.ts';
import { streams } from '../../../domain/shared/streams.ts';
import type { Specification } from '../../../domain/specification/specification.ts';
import { appendDecided } from '../../eventstore/command-handler.ts';
import { isEventStoreError } from '../../eventstore/errors.ts';
import type { EventStore } from '../../eventstore/event-store.ts';
import { issue } from '../issue.ts';
import { type CollectedOutputsContext, restartCollected } from './collected-outputs.ts';
import { derivationClosure } from './derivations.ts';
import {
  evaluationRecord,
  type ReuseContext,
  recordReusedBuilds,
  reusedKey,
  reuseEndedBuilds,
} from './reused-builds.ts';
import type { SubstituteFinder } from './substitutes.ts';

export interface ScheduleContext extends CollectedOutputsContext, ReuseContext {
  readonly events: EventStore;
  readonly substitutes: SubstituteFinder;
  /** True when a build of `drvPath` is already recorded (so it is not looked up in caches again). */
  readonly known: (drvPath: string) => boolean;
  /**
   * True when the recorded build of `drvPath` was cancelled: queueing it is then decided on its history
   * (a new evaluation brings it back).
   */
  readonly cancelled: (drvPath: string) => boolean;
  /**
   * True when no job of the evaluation is recorded as a wanter yet (read from projections caught up
   * with the store): this is its first scheduling, not one retried or resumed after a failure, so no
   * build can already list its jobs, and the new wanters of a recorded build that was not cancelled
   * are appended having read only its last event (see `wantExisting`). False: each is decided on its
   * history, which leaves out the wanters an earlier try recorded.
   */
  readonly firstScheduling: boolean;
  /** Commands in flight at once. */
  readonly concurrency?: number;
}

export interface ScheduleResult {
  readonly derivations: number;
  readonly queued: number;
  readonly substituted: number;
  /** Builds that had ended, whose wanters were recorded on the evaluation's stream. */
  readonly reused: number;
  /** Builds restarted because the collector had removed their outputs (`restartCollected`). */
  readonly collected: readonly string[];
  /**
   * Derivations whose dependencies were too many to record in one event: recorded without them, and
   * failed unless substituted (`withoutDependencies`). Also those a later run of wanters was too large
   * for: those wanters are not recorded.
   */
  readonly tooLarge: readonly string[];
}

/** The JSON of the wanters one command records at most (the rest of its event is far smaller). */
export const wantersPerAppendBytes = 256 * 1024;

/** `wanters` in runs of at most `budget` bytes of JSON each (at least one wanter a run). */
export function wanterRuns(wanters: readonly Wanter[], budget = wantersPerAppendBytes): Wanter[][] {
  const runs: Wanter[][] = [[]];
  let size = 0;
  for (const wanter of wanters) {
    const bytes = Buffer.byteLength(JSON.stringify(wanter)) + 1;
    const run = runs[runs.length - 1]!;
    if (run.length > 0 && size + bytes > budget) {
      runs.push([wanter]);
      size = bytes;
    } else {
      run.push(wanter);
      size += bytes;
    }
  }
  return runs;
}

const queueing = inSequence(buildDecider);

/**
 * What queueing a build records when its dependencies are too many for one event of the store (tens of
 * thousands of inputs, over its 1 MiB an append): the build without them, so that its jobs and the
 * builds depending on it are still decided and its evaluation can end, and at once failed, saying why
 * and what to do, unless a cache has its outputs (a substituted build needs none of its inputs).
 * Recorded without its dependencies, a restarted build would not wait for them.
 */
function withoutDependencies(commands: readonly BuildCommand[], count: number): BuildCommand[] {
  const [queueing, ...rest] = commands as [QueueBuild, ...BuildCommand[]];
  const queued: QueueBuild = { ...queueing, dependencies: [] };
  if (rest.some((command) => command.type === 'SubstituteBuild')) return [queued, ...rest];
  const detail =
    `its ${count} input derivations are too many to record in one event of the event store (1 MiB an ` +
    'append), so Tally cannot tell when they are built: split the job into smaller aggregates, or ' +
    'restart this build once its inputs are built';
  const failing: BuildCommand = {
    type: 'FailBuild',
    drvPath: queueing.drvPath,
    actor: queueing.actor,
    at: queueing.at,
    reason: { kind: 'infrastructure', detail },
  };
  return [queued, failing];
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}

/** The most events read back past a build's last one to find what decided its status. */
const statusLookBack = 8;

type StoredHead = { readonly type: string; readonly revision: number };

/**
 * The build's last event and the last one that decided its status, read from the end of its stream:
 * usually one and the same, read alone. Past the events that may follow a cancel without undoing it
 * (a late log of the cancelled attempt, say), up to `statusLookBack` of them; `decider` is undefined
 * when none decided it within them. Each read goes to its end: a read left early is cancelled, which
 * EventStoreDB counts against a client.
 */
async function lastEvents(
  events: EventStore,
  stream: string,
): Promise<{ readonly last: StoredHead; readonly decider: StoredHead | undefined } | undefined> {
  let last: StoredHead | undefined;
  for await (const event of events.readStream(stream, { direction: 'backwards', limit: 1 })) last = event;
  if (last === undefined) return undefined;
  if (!keepsStatusAfterEnd(last.type)) return { last, decider: last };
  let decider: StoredHead | undefined;
  if (last.revision === 0) return { last, decider };
  const before = { direction: 'backwards', fromRevision: last.revision - 1, limit: statusLookBack } as const;
  for await (const event of events.readStream(stream, before))
    if (decider === undefined && !keepsStatusAfterEnd(event.type)) decider = event;
  return { last, decider };
}

/**
 * Records `wantedBy` as wanters of an existing build, a run at a time, having read only the end of
 * its stream (`lastEvents`), and appending at the last event's revision. `'decide'` when the build
 * must be decided on its history after all: it was cancelled, even if an ended attempt's log or result
 * followed the cancel; its status could not be told from its last events; its stream was deleted; or
 * another writer appended meanwhile (a cancel that landed while the evaluation was being scheduled,
 * say). The decision leaves out the wanters this call had already recorded. `'absent'` when it has no
 * stream (the read model was ahead of the store: a store restored from an older backup).
 */
async function wantWithoutHistory(
  context: ScheduleContext,
  stream: string,
  wantedBy: readonly Wanter[],
  queue: (run: readonly Wanter[]) => QueueBuild,
  cause: Cause,
  evaluationId: string,
): Promise<'recorded' | 'decide' | 'absent'> {
  const end = await lastEvents(context.events, stream);
  if (end === undefined) return 'absent';
  const { last, decider } = end;
  if (decider === undefined || decider.type === 'BuildCancelled') return 'decide';
  let revision = last.revision;
  for (const [index, run] of wanterRuns(wantedBy).entries()) {
    const command = queue(run);
    try {
      const scope = `${stream}/wanted/${evaluationId}/${index}`;
      const decided = { cause, actor: 'scheduler', at: command.at, scope } as const;
      const events = wantExisting(command);
      ({ nextRevision: revision } = await appendDecided(context.events, stream, events, decided, revision));
    } catch (error) {
      const refused =
        isEventStoreError(error, 'TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION') ||
        isEventStoreError(error, 'TALLY_EVENTSTORE_STREAM_DELETED');
      if (refused) return 'decide';
      throw error;
    }
  }
  return 'recorded';
}

export async function scheduleEvaluation(
  context: ScheduleContext,
  evaluationId: string,
  spec: Specification,
  cause: Cause,
): Promise<ScheduleResult> {
  const {
    jobs,
    reused: reusedBefore,
    nextReusedChunk,
  } = await evaluationRecord(context.events, evaluationId);
  const wanters = new Map<string, Wanter[]>();
  const outputsOf = new Map<string, Readonly<Record<string, string>>>();
  const seen = new Set<string>();
  for (const job of jobs) {
    // A job named twice (a chunk recorded twice) wants its derivation once.
    if (seen.has(job.name)) continue;
    seen.add(job.name);
    // Recorded as reusing its build by an earlier try: not to be recorded again on the build.
    if (reusedBefore.has(reusedKey(job.drvPath, job.name))) continue;
    const list = wanters.get(job.drvPath) ?? [];
    list.push({ spec: spec.name, evaluation: evaluationId, job: job.name });
    wanters.set(job.drvPath, list);
    outputsOf.set(job.drvPath, job.outputs);
  }
  const reused = await reuseEndedBuilds(context, wanters, outputsOf);
  const closure = await derivationClosure(wanters.keys());
  // Before anything is queued, so that what depends on a build brought back waits for it.
  const collected = await restartCollected(context, closure, evaluationId, cause);
  let queued = 0;
  let substituted = 0;
  const tooLarge: string[] = [];
  const work = [...closure];
  await inParallel(work, context.concurrency ?? 128, async ([drvPath, drv]) => {
    const wantedBy = wanters.get(drvPath) ?? [];
    let existed = context.known(drvPath);
    // A dependency nobody asked for by name, already recorded: nothing to add to it.
    if (existed && wantedBy.length === 0) return;
    const at = new Date().toISOString();
    const common = { drvPath, actor: 'scheduler', at } as const;
    const dependencies = [...drv.inputDrvs.keys()];
    // The first run shares its event with the dependencies: a derivation of thousands of inputs
    // leaves less room for wanters.
    const room = 900 * 1024 - Buffer.byteLength(JSON.stringify(dependencies));
    const [first, ...later] = wanterRuns(
      wantedBy,
      Math.max(16 * 1024, Math.min(wantersPerAppendBytes, room)),
    );
    const queue = (run: readonly Wanter[]): QueueBuild => ({
      ...common,
      type: 'QueueBuild',
      system: drv.system,
      wantedBy: run,
      priority: spec.priority,
      dependencies,
    });
    const stream = streams.build(drvPath);
    try {
      if (existed && context.firstScheduling && !context.cancelled(drvPath)) {
        const wanted = await wantWithoutHistory(context, stream, wantedBy, queue, cause, evaluationId);
        if (wanted === 'recorded') return;
        // Not in the store after all: queued (and looked up in caches) as a new build.
        if (wanted === 'absent') existed = false;
      }
      const commands: BuildCommand[] = [queue(first!)];
      const found = existed ? undefined : await context.substitutes.find(drvPath, drv);
      if (found)
        commands.push({ ...common, type: 'SubstituteBuild', from: found.from, outputs: found.outputs });
      // Scoped by the evaluation: one cause may schedule several (an activation takes up each that waited).
      const queueIt = (sent: BuildCommand[]) =>
        issue(context.events, queueing, stream, sent, cause, 'scheduler', {
          believedNew: !existed,
          scope: evaluationId,
        });
      let result: Awaited<ReturnType<typeof queueIt>>;
      try {
        result = await queueIt(commands);
      } catch (error) {
        if (!isEventStoreError(error, 'TALLY_EVENTSTORE_APPEND_TOO_LARGE')) throw error;
        tooLarge.push(drvPath);
        result = await queueIt(withoutDependencies(commands, dependencies.length));
      }
      if (!result.ok) return;
      if (result.events.some((event) => event.type === 'BuildQueued')) queued++;
      if (result.events.some((event) => event.type === 'BuildSubstituted')) substituted++;
      // The build exists now: the other jobs wanting it are recorded as wanters, a run at a time.
      for (const run of later)
        await issue(context.events, queueing, stream, [queue(run)], cause, 'scheduler', {
          scope: evaluationId,
        });
    } catch (error) {
      // A run of later wanters too large to record alone: they stay unrecorded, and are logged.
      if (!isEventStoreError(error, 'TALLY_EVENTSTORE_APPEND_TOO_LARGE')) throw error;
      tooLarge.push(drvPath);
    }
  });
  await recordReusedBuilds(context.events, evaluationId, spec, reused, nextReusedChunk, cause);
  return {
    derivations: closure.size,
    queued,
    substituted,
    reused: reused.length,
    collected,
    tooLarge,
  };
}
