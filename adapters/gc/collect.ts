/**
 * One garbage collection: decide the garbage, record it as a `gc-<id>` stream, remove it in chunks.
 *
 * Crash consistency. Per round: the journal of its chunks is written (fsynced); per chunk the
 * records are removed at once (one fsync) and `GcPathsCollected` is appended while the round's
 * content is deleted; the journal is cleared. So at any instant every registered path has all its
 * content and all its references, and a crash leaves at most one round of unregistered
 * leftovers, named by the journal. The next collection, finding the lock of a dead process, first
 * finishes that chunk (deletes the leftovers, records the chunk if it was not yet recorded) and ends
 * the interrupted collection with `GcFailed { reason: 'interrupted' }`; then it runs its own.
 */
import { randomBytes } from 'node:crypto';
import { type GcCommand, type GcPolicy, type GcState, gcDecider } from '../../domain/gc/index.ts';
import { fold } from '../../domain/shared/decider.ts';
import type { Actor } from '../../domain/shared/metadata.ts';
import { streams } from '../../domain/shared/streams.ts';
import { handleCommand } from '../eventstore/command-handler.ts';
import type { EventStore } from '../eventstore/event-store.ts';
import { readDomainEvent } from '../eventstore/read-domain-event.ts';
import { acquireGcDir, GcIoError, type Interrupted, type RemovedPath } from './gc-dir.ts';
import type { GcStore, PathRecord } from './gc-store.ts';
import { planCollection } from './plan.ts';
import type { GcRootSource } from './root-source.ts';

/** What a collection is given. */
export interface CollectOptions {
  readonly store: GcStore;
  readonly events: EventStore;
  readonly rootSource: GcRootSource;
  /** The collection's lock and chunk journal (`<data>/gc`). */
  readonly gcDir: string;
  readonly policy: GcPolicy;
  /** Defaults to the time and a random suffix. */
  readonly gcId?: string;
  /** Who asked; the `gc` process by default. */
  readonly actor?: Actor;
  readonly now?: () => number;
  /**
   * Paths per chunk (one `GcPathsCollected` each). By default as many as keep the event under
   * 512 KiB with the store's longest path (the event store refuses appends over 1 MiB), at most
   * 10,000: fewer chunks mean fewer journal writes, fsyncs and rescans of the records.
   */
  readonly chunkPaths?: number;
  /** Paths removed together (whole chunks, at least one): 50,000 by default. */
  readonly roundPaths?: number;
  readonly onProgress?: (progress: GcProgress) => void;
}

/** Where a collection is. */
export type GcProgress =
  | { readonly phase: 'recovered'; readonly gcId: string; readonly leftovers: number }
  | {
      readonly phase: 'planned';
      readonly garbage: number;
      readonly garbageBytes: number;
      readonly live: number;
    }
  | { readonly phase: 'chunk'; readonly chunk: number; readonly paths: number; readonly freedBytes: number };

/** What a collection did (or, in a dry run, would do). */
export interface GcSummary {
  readonly gcId: string;
  readonly dryRun: boolean;
  /** Valid paths at the start, kept, and garbage. */
  readonly validCount: number;
  readonly liveCount: number;
  readonly garbageCount: number;
  readonly garbageBytes: number;
  /** Removed (or would be), within the policy's byte limit. */
  readonly pathCount: number;
  readonly freedBytes: number;
  /** The interrupted collection this one ended first, if any. */
  readonly recovered?: string;
}

const chunkEventBytes = 512 * 1024;
/**
 * Paths removed together by default: the more paths one batch of unlinks spans, the closer their
 * inodes (it goes in inode order), and one rescan of the records serves them all.
 */
const defaultRoundPaths = 50_000;
const maxChunkPaths = 10_000;

/** Paths per chunk when not given: `{"path":"…","bytes":…},` (store paths need no escaping) per path. */
function defaultChunkPaths(records: readonly PathRecord[]): number {
  let longest = 0;
  for (const record of records) longest = Math.max(longest, record.path.length);
  const perPath = longest + 40;
  return Math.max(1, Math.min(maxChunkPaths, Math.floor(chunkEventBytes / perPath)));
}

function newGcId(now: number): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

async function streamState(events: EventStore, gcId: string): Promise<GcState> {
  const history = [];
  for await (const recorded of events.readStream(streams.gc(gcId))) history.push(readDomainEvent(recorded));
  return fold(gcDecider, history as Parameters<typeof gcDecider.evolve>[1][]);
}

export async function collectGarbage(options: CollectOptions): Promise<GcSummary> {
  const { store, events, policy } = options;
  const now = options.now ?? Date.now;
  const gcId = options.gcId ?? newGcId(now());
  const actor = options.actor ?? 'gc';
  const progress = options.onProgress ?? (() => undefined);
  // Each collection's stream as its last command left it: a chunk's command is decided on it
  // rather than on a fresh read of a stream that grows by a few hundred kilobytes a chunk.
  const streamsKnown = new Map<string, { state: GcState; revision: number }>();
  const handle = async (id: string, command: GcCommand, step: string) => {
    const known = streamsKnown.get(id);
    const handled = await handleCommand(
      events,
      gcDecider,
      streams.gc(id),
      command,
      { cause: { kind: 'command', id: `gc:${id}:${step}` }, actor, at: new Date(now()).toISOString() },
      known ? { known } : {},
    );
    streamsKnown.set(id, { state: handled.state, revision: handled.revision });
    return handled;
  };
  const issued = (id: string) => ({ gcId: id, at: new Date(now()).toISOString(), actor });

  const dir = await acquireGcDir(options.gcDir, gcId);
  try {
    const recovered = dir.interrupted && (await recover(dir.interrupted));
    await dir.clearJournal();
    await dir.recordRunning();

    const records = await store.scan();
    const roots = [...(await store.pinned()), ...(await options.rootSource.liveRoots())];
    const plan = planCollection(records, roots, now() - policy.gracePeriodSeconds * 1000);
    // Only planned paths are ever removed, so the longest of them bounds a chunk's event.
    const chunkPaths = options.chunkPaths ?? defaultChunkPaths(records);
    const roundPaths = Math.max(chunkPaths, options.roundPaths ?? defaultRoundPaths);
    /** The next chunks, together at most `roundPaths` paths and within the byte limit. */
    const takeRound = (first: number, perChunk: number, perRound: number, freed: number) => {
      const round: { chunk: number; paths: PathRecord[] }[] = [];
      let taken = 0;
      let bytes = 0;
      while (taken + perChunk <= perRound) {
        const budget = (policy.maxFreedBytes ?? Number.MAX_SAFE_INTEGER) - freed - bytes;
        const paths = plan.next(perChunk, budget);
        if (paths.length === 0) break;
        round.push({ chunk: first + round.length, paths });
        taken += paths.length;
        bytes += paths.reduce((sum, record) => sum + record.bytes, 0);
      }
      return round;
    };
    progress({
      phase: 'planned',
      garbage: plan.garbageCount,
      garbageBytes: plan.garbageBytes,
      live: plan.liveCount,
    });

    await handle(gcId, { type: 'StartGc', ...issued(gcId), policy }, 'start');
    let freedBytes = 0;
    let pathCount = 0;
    try {
      for (let chunk = 0; ; ) {
        if (!policy.dryRun) {
          // Paths registered or pinned since the plan keep what they refer to.
          const fresh = await store.scanNew();
          plan.keep([...fresh.map((record) => record.path), ...(await store.pinned())], fresh);
        }
        const round = takeRound(chunk, chunkPaths, roundPaths, freedBytes);
        if (round.length === 0) break;
        if (!policy.dryRun) {
          await dir.writeJournal({
            gcId,
            chunks: round.map(({ chunk, paths }) => ({ chunk, paths: journaled(paths) })),
          });
        }
        // Chunk after chunk in plan order, records go (so a crash leaves a prefix unregistered),
        // each chunk's event follows its records and names what went (a path registered since the
        // last rescan keeps what it refers to); the content of the whole round goes at once, in
        // inode order over more paths. The journal names the round until all of it is done, and
        // recovery finishes whatever a crash interrupted.
        let recorded: Promise<void> = Promise.resolve();
        const content: PathRecord[] = [];
        for (const { chunk, paths } of round) {
          const removed = policy.dryRun ? paths : await store.unregister(paths);
          content.push(...removed);
          recorded = recorded.then(async () => {
            await handle(
              gcId,
              { type: 'CollectGcPaths', ...issued(gcId), chunk, paths: collected(removed) },
              `chunk-${chunk}`,
            );
            pathCount += removed.length;
            freedBytes += removed.reduce((sum, record) => sum + record.bytes, 0);
            progress({ phase: 'chunk', chunk, paths: pathCount, freedBytes });
          });
          recorded.catch(() => undefined); // awaited below, once the round's content is deleted
        }
        await allDone([recorded, policy.dryRun ? undefined : store.deleteContent(content)]);
        if (!policy.dryRun) await dir.clearJournal();
        chunk += round.length;
      }
      if (!policy.dryRun) await store.compact();
      await handle(gcId, { type: 'FinishGc', ...issued(gcId) }, 'finish');
    } catch (error) {
      const detail = (error as Error).message ?? String(error);
      await handle(gcId, { type: 'FailGc', ...issued(gcId), reason: 'io-error', detail }, 'fail').catch(
        () => undefined,
      );
      // A file the store could not touch is the operator's to mend, not a defect: say so with a code.
      throw isFileSystemError(error) ? new GcIoError(gcId, error) : error;
    }
    return {
      gcId,
      dryRun: policy.dryRun,
      validCount: records.length,
      liveCount: plan.liveCount,
      garbageCount: plan.garbageCount,
      garbageBytes: plan.garbageBytes,
      pathCount,
      freedBytes,
      ...(recovered && { recovered }),
    };
  } finally {
    await dir.release();
  }

  /** Finishes the chunks a dead collection was removing and ends its stream as interrupted. */
  async function recover(interrupted: Interrupted): Promise<string> {
    const chunks: { chunk: number; leftovers: RemovedPath[] }[] = [];
    for (const { chunk, paths } of interrupted.journal?.chunks ?? []) {
      const leftovers: RemovedPath[] = [];
      for (const record of paths) if (!(await store.isValid(record.path))) leftovers.push(record);
      chunks.push({ chunk, leftovers });
    }
    const leftovers = chunks.flatMap((entry) => entry.leftovers);
    await store.deleteContent(leftovers);
    const state = await streamState(events, interrupted.gcId);
    if (state.status === 'running') {
      // Chunks were unregistered in order and recorded in order: record those that were not.
      let next = state.nextChunk;
      for (const { chunk, leftovers: paths } of chunks) {
        if (paths.length === 0 || chunk !== next) continue;
        const command = {
          type: 'CollectGcPaths',
          ...issued(interrupted.gcId),
          chunk,
          paths: collected(paths),
        } as const;
        await handle(interrupted.gcId, command, `chunk-${chunk}`);
        next++;
      }
      const who =
        interrupted.pid === undefined ? 'the collection' : `the collecting process (pid ${interrupted.pid})`;
      const detail = `${who} stopped before the end; ${leftovers.length} unregistered paths of its last chunks were deleted by collection ${gcId}`;
      await handle(
        interrupted.gcId,
        { type: 'FailGc', ...issued(interrupted.gcId), reason: 'interrupted', detail },
        'interrupted',
      );
    }
    progress({ phase: 'recovered', gcId: interrupted.gcId, leftovers: leftovers.length });
    return interrupted.gcId;
  }
}

/** An error of a file system call (it carries an errno code such as `EPERM`, `EROFS`, `ENOSPC`). */
function isFileSystemError(error: unknown): error is Error & { code: string } {
  const code = (error as { code?: unknown } | undefined)?.code;
  return error instanceof Error && typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

/** Waits for every one of `work` to settle, then rejects with the first failure if any. */
async function allDone(work: readonly (Promise<unknown> | undefined)[]): Promise<void> {
  const settled = await Promise.allSettled(work);
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/** A chunk as its event lists it. */
function collected(paths: readonly RemovedPath[]) {
  return paths.map((record) => ({ path: record.path, bytes: record.bytes }));
}

/** A chunk as the journal keeps it: what recovery needs to delete its content. */
function journaled(paths: readonly RemovedPath[]): RemovedPath[] {
  return paths.map((record) => ({ path: record.path, bytes: record.bytes, fileHash: record.fileHash }));
}
