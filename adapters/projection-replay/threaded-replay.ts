/**
 * `tally replay` over the ledger's files with every core: the catalogue's projections are shared out
 * among threads (balanced by weight), each thread reads the whole log itself and folds its own
 * projections, and only their state hashes come back. A projection needs every event in order, so it
 * cannot be split; several can run side by side. This process holds the ledger directory's lock while
 * the replayer is open, as a single reader would, so no server can start on the files meanwhile; a
 * short-lived thread indexes the log once and shares where each record lies with the replay threads,
 * which read the files without building an index of their own.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { lockDirectory } from '../ledger/storage/file/directory-lock.ts';
import type { LogLayout } from '../ledger/storage/file/index.ts';
import type {
  LayoutThreadData,
  LayoutThreadMessage,
  ReplayThreadData,
  ReplayThreadMessage,
  SkippedAt,
} from './messages.ts';
import { partitionByWeight } from './partition.ts';

export interface ThreadedReplayOptions {
  /** Names of the catalogue's projections to rebuild. */
  readonly projections: readonly string[];
  /** The last position folded in (inclusive). */
  readonly upTo: number;
  /** At most this many threads (default: the cores available, at most one per projection). */
  readonly threads?: number;
  /** Relative fold costs by projection name, to balance the threads (1 when absent). */
  readonly weights?: Readonly<Record<string, number>>;
  /**
   * Each thread's young generation in MiB (V8's default when absent). Decoding makes many short-lived
   * objects: a larger young generation promotes fewer of them, at the price of memory, and past a
   * point it is slower (at full bench scale: default 39,600 events/s and 0.94 GiB peak RSS, 64 MiB
   * 41,400 and 1.12 GiB, 128 MiB 36,500 and 1.42 GiB).
   */
  readonly youngGenerationMb?: number;
  /**
   * Save each rebuilt state in this directory as its projection's snapshot (`createFileSnapshotStore`),
   * as of the last position read; absent: the states are only hashed.
   */
  readonly snapshotDirectory?: string;
  /** Called as the slowest thread advances, with the events it has read and its last position. */
  readonly onProgress?: (events: number, position: number) => void;
  readonly progressEvery?: number;
}

export interface ThreadedReplayResult {
  /** Each projection's state hash (`hashState`), by name. */
  readonly hashes: ReadonlyMap<string, string>;
  /** Events read (every thread reads them all). */
  readonly events: number;
  /** The position of the last event read; -1 when there was none. */
  readonly position: number;
  /** Events some projection could not read, each counted once however many threads met it. */
  readonly skipped: SkippedEvents;
  readonly groups: readonly (readonly string[])[];
  /** From starting the threads until the last had folded every event in (thread start-up included). */
  readonly replayMs: number;
  /** From then until every state was hashed and, when asked, saved. */
  readonly hashMs: number;
  /** Of `hashMs`, the longest any thread spent saving its snapshots. */
  readonly savedMs: number;
}

/** Skipped events: how many, by reason, and the first few with where they lie. */
export interface SkippedEvents {
  readonly count: number;
  readonly byReason: Readonly<Record<string, number>>;
  /** The first `firstSkippedKept` skipped events in `$all` order. */
  readonly first: readonly SkippedAt[];
}

/** How many skipped events are kept with their positions: enough to find them, bounded for a hostile log. */
export const firstSkippedKept = 100;

const entry = new URL('./replay-thread-entry.js', import.meta.url);
const layoutEntry = new URL('./layout-thread-entry.js', import.meta.url);

type Done = Extract<ReplayThreadMessage, { kind: 'done' }>;

function runThread(
  data: ReplayThreadData,
  onProgress: (events: number, position: number) => void,
  onReplayed: () => void,
  youngGenerationMb: number | undefined,
): {
  done: Promise<Done>;
  stop: () => Promise<number>;
} {
  const worker = new Worker(entry, {
    workerData: data,
    ...(youngGenerationMb ? { resourceLimits: { maxYoungGenerationSizeMb: youngGenerationMb } } : {}),
  });
  const done = new Promise<Done>((resolve, reject) => {
    worker.on('message', (message: ReplayThreadMessage) => {
      if (message.kind === 'progress') onProgress(message.events, message.position);
      else if (message.kind === 'replayed') onReplayed();
      else if (message.kind === 'done') resolve(message);
      else reject(Object.assign(new Error(message.message), { code: message.code }));
    });
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(
        Object.assign(new Error(`a replay thread ended before it was done (exit code ${code})`), {
          code: 'TALLY_REPLAY_THREAD',
        }),
      ),
    );
  });
  return { done, stop: () => worker.terminate() };
}

/** The ledger's files held for replays: the directory's lock is taken until `close`. */
export interface ThreadedReplayer {
  /** The position of the last event, or −1 (it cannot change: no ledger can open the files meanwhile). */
  headPosition(): number;
  replay(options: ThreadedReplayOptions): Promise<ThreadedReplayResult>;
  close(): Promise<void>;
}

export async function openThreadedReplayer(ledgerDirectory: string): Promise<ThreadedReplayer> {
  const release = lockDirectory(ledgerDirectory);
  let laidOut: LaidOut;
  try {
    laidOut = await layOutInThread(ledgerDirectory);
  } catch (error) {
    release();
    throw error;
  }
  const { head, layout } = laidOut;
  return {
    headPosition: () => head,
    replay: (options) => replayInThreads(layout, options),
    close: async () => release(),
  };
}

type LaidOut = Extract<LayoutThreadMessage, { kind: 'laid-out' }>;

/**
 * Opens the log once, in a thread of its own, for the layout every replay thread reads by. Opening
 * builds the whole index (every stream's records), about 150 MB at 1.76 million events of which the
 * replay needs only the positions and lengths; built here, it would stay in this thread's heap until
 * some collection, which an idle thread may not run before the replay threads reach their peak. A
 * thread's heap goes when the thread ends, so the layout is taken once the thread has ended.
 */
function layOutInThread(ledgerDirectory: string): Promise<LaidOut> {
  const worker = new Worker(layoutEntry, { workerData: { ledgerDirectory } satisfies LayoutThreadData });
  return new Promise<LaidOut>((resolve, reject) => {
    let laidOut: LaidOut | undefined;
    worker.once('message', (message: LayoutThreadMessage) => {
      if (message.kind === 'laid-out') laidOut = message;
      else reject(Object.assign(new Error(message.message), { code: message.code }));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (laidOut && code === 0) resolve(laidOut);
      else
        reject(
          Object.assign(new Error(`the thread laying out the ledger's log ended early (exit code ${code})`), {
            code: 'TALLY_REPLAY_THREAD',
          }),
        );
    });
  });
}

async function replayInThreads(
  layout: LogLayout,
  options: ThreadedReplayOptions,
): Promise<ThreadedReplayResult> {
  const threads = options.threads ?? availableParallelism();
  const groups = partitionByWeight(options.projections, threads, options.weights);
  const progress = groups.map(() => ({ events: 0, position: -1 }));
  const started = performance.now();
  let replayedAt = started;
  let stillFolding = groups.length;
  const report = () => {
    const slowest = progress.reduce((low, each) => (each.events < low.events ? each : low));
    options.onProgress?.(slowest.events, slowest.position);
  };
  const running = groups.map((projections, index) =>
    runThread(
      {
        layout,
        projections,
        upTo: options.upTo,
        progressEvery: options.progressEvery ?? 20_000,
        ...(options.snapshotDirectory ? { snapshotDirectory: options.snapshotDirectory } : {}),
      },
      (events, position) => {
        progress[index] = { events, position };
        report();
      },
      () => {
        stillFolding -= 1;
        if (stillFolding === 0) replayedAt = performance.now();
      },
      options.youngGenerationMb,
    ),
  );
  try {
    const results = await Promise.all(running.map((thread) => thread.done));
    const hashes = new Map<string, string>();
    for (const result of results)
      for (const [name, hash] of Object.entries(result.hashes)) hashes.set(name, hash);
    return {
      hashes: new Map(options.projections.map((name) => [name, hashes.get(name)!])),
      events: Math.max(...results.map((result) => result.events)),
      position: Math.max(...results.map((result) => result.position)),
      skipped: countOnce(results.flatMap((result) => result.skipped)),
      groups,
      replayMs: replayedAt - started,
      hashMs: performance.now() - replayedAt,
      savedMs: Math.max(...results.map((result) => result.savedMs)),
    };
  } finally {
    await Promise.all(running.map((thread) => thread.stop()));
  }
}

/** The skipped events of every thread, each position counted once. */
function countOnce(skipped: readonly SkippedAt[]): SkippedEvents {
  const byPosition = new Map<number, SkippedAt>();
  for (const each of skipped) byPosition.set(each.position, each);
  const byReason: Record<string, number> = {};
  for (const { reason } of byPosition.values()) byReason[reason] = (byReason[reason] ?? 0) + 1;
  const first = [...byPosition.values()].sort((a, b) => a.position - b.position).slice(0, firstSkippedKept);
  return { count: byPosition.size, byReason, first };
}
