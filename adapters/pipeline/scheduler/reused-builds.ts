/**
 * The builds an evaluation reuses: those its jobs want that have ended (succeeded, substituted or
 * failed). A want changes nothing of an ended build, so at an evaluation's first scheduling their
 * wanters are recorded on the evaluation's stream, in a few `EvaluationBuildsReused` events for all of
 * them, rather than a read and an append on each build's stream; and their `.drv` files are not read
 * (their closures were recorded when they were built). An evaluation of a large jobset mostly wants
 * such builds.
 */
import type { Wanter } from '../../../domain/build/build.ts';
import { chunkReusedBuilds } from '../../../domain/evaluation/chunk-jobs.ts';
import type { ReusedBuild } from '../../../domain/evaluation/events.ts';
import { evaluationDecider } from '../../../domain/evaluation/index.ts';
import type { Job } from '../../../domain/evaluation/job.ts';
import type { Cause } from '../../../domain/shared/metadata.ts';
import { streams } from '../../../domain/shared/streams.ts';
import type { Specification } from '../../../domain/specification/specification.ts';
import type { EventStore } from '../../eventstore/event-store.ts';
import { readDomainEvent } from '../../eventstore/read-domain-event.ts';
import { issue } from '../issue.ts';
import type { SubstituteFinder } from './substitutes.ts';

/** What an evaluation's stream says its scheduling needs. */
export interface EvaluationRecord {
  /** Its jobs, chunk after chunk. */
  readonly jobs: Job[];
  /** `drvPath\0job` of each job an earlier scheduling recorded as reusing its build (`reusedKey`). */
  readonly reused: Set<string>;
  /** The chunk number the next `EvaluationBuildsReused` carries. */
  readonly nextReusedChunk: number;
}

export const reusedKey = (drvPath: string, job: string) => `${drvPath}\0${job}`;

export async function evaluationRecord(events: EventStore, evaluationId: string): Promise<EvaluationRecord> {
  const jobs: Job[] = [];
  const reused = new Set<string>();
  let nextReusedChunk = 0;
  for await (const recorded of events.readStream(streams.evaluation(evaluationId))) {
    const event = readDomainEvent(recorded);
    if (event.type === 'EvaluationJobsAdded') jobs.push(...event.data.jobs);
    else if (event.type === 'EvaluationBuildsReused') {
      for (const { drvPath, jobs: names } of event.data.builds)
        for (const name of names) reused.add(reusedKey(drvPath, name));
      nextReusedChunk = event.data.chunk + 1;
    }
  }
  return { jobs, reused, nextReusedChunk };
}

/** What finding the reused builds asks of the farm's state. */
export interface ReuseContext {
  readonly substitutes: Pick<SubstituteFinder, 'inStore'>;
  readonly known: (drvPath: string) => boolean;
  /** True when the recorded build succeeded or was substituted. */
  readonly produced: (drvPath: string) => boolean;
  /** True when the recorded build succeeded, was substituted or failed. */
  readonly ended?: (drvPath: string) => boolean;
  /** Only a first scheduling reuses: a retried one may have recorded some of these jobs on the builds. */
  readonly firstScheduling: boolean;
}

/**
 * The jobs' builds that have ended with their outputs still in the store (or failed), taken out of
 * `wanters`, checked from the outputs the jobs list. A build whose outputs the collector removed
 * stays in `wanters`: its closure is read and it is restarted (`restartCollected`).
 */
export async function reuseEndedBuilds(
  context: ReuseContext,
  wanters: Map<string, Wanter[]>,
  outputsOf: ReadonlyMap<string, Readonly<Record<string, string>>>,
): Promise<ReusedBuild[]> {
  const reused: ReusedBuild[] = [];
  if (!context.firstScheduling || !context.ended) return reused;
  for (const [drvPath, wantedBy] of wanters) {
    if (!context.known(drvPath) || !context.ended(drvPath)) continue;
    const outputs = new Map(
      Object.entries(outputsOf.get(drvPath) ?? {}).map(([name, path]) => [name, { path }]),
    );
    if (context.produced(drvPath) && !(await context.substitutes.inStore(outputs))) continue;
    reused.push({ drvPath, jobs: wantedBy.map((wanter) => wanter.job) });
    wanters.delete(drvPath);
  }
  return reused;
}

/**
 * Appends `builds` as the evaluation's next `EvaluationBuildsReused` chunks, in derivation order so
 * that a retry after a crash cuts the same chunks (and the store drops those already appended).
 */
export async function recordReusedBuilds(
  events: EventStore,
  evaluationId: string,
  spec: Specification,
  builds: readonly ReusedBuild[],
  firstChunk: number,
  cause: Cause,
): Promise<void> {
  const ordered = [...builds].sort((a, b) => (a.drvPath < b.drvPath ? -1 : a.drvPath > b.drvPath ? 1 : 0));
  const stream = streams.evaluation(evaluationId);
  for (const chunk of chunkReusedBuilds(evaluationId, spec.name, spec.priority, ordered, firstChunk)) {
    const command = {
      type: 'RecordReusedBuilds',
      evaluationId,
      chunk: chunk.chunk,
      spec: chunk.spec,
      priority: chunk.priority,
      builds: chunk.builds,
      actor: 'scheduler',
      at: new Date().toISOString(),
    } as const;
    await issue(events, evaluationDecider, stream, command, cause, 'scheduler', { scope: evaluationId });
  }
}
