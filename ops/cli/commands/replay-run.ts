/**
 * What `tally replay [--verify]` does (the command and its options are in replay.ts): rebuilds every
 * projection of the catalogue from the first event, with a progress bar on stderr. `--verify` compares each rebuilt state with the live one the server saved in
 * `<data>/projections/` and exits 1 naming any projection that differs. Without a running ledger for the
 * data directory (and no `--eventstore`), the ledger's files are read directly for the run (no server,
 * no client: several times faster than reading through one), and the rebuilt states replace the
 * snapshots in `<data>/projections/`, so the next `tally serve` starts from them (`--no-save` only
 * hashes them). Through a client, a server may be running and keeps its own snapshots: nothing is saved.
 * Every event no projection could read is counted, and the first ones are logged with their positions.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Presets, SingleBar } from 'cli-progress';
import pino from 'pino';
import { decodeRecorded } from '../../../adapters/eventstore/read-domain-event.ts';
import type { SkippedAt } from '../../../adapters/projection-replay/messages.ts';
import {
  firstSkippedKept,
  openThreadedReplayer,
} from '../../../adapters/projection-replay/threaded-replay.ts';
import { createFileSnapshotStore } from '../../../adapters/projection-snapshots/file-snapshot-store.ts';
import { allProjections } from '../../../projections/catalogue.ts';
import { replayProjections } from '../../../projections/runtime/replay.ts';
import { hashState } from '../../../projections/runtime/state-hash.ts';
import { CliError } from '../cli-error.ts';
import { readLedgerEndpoint, resolveDataDir } from '../options.ts';
import { writeLine } from '../output.ts';
import { type ReplayFigures, replayJson } from './replay-json.ts';
import { liveSaveLine, saveLiveState } from './replay-live.ts';
import { type Verdict, verifyProjections } from './replay-verify.ts';
import { replayWeights } from './replay-weights.ts';

export interface ReplayOptions {
  readonly eventstore?: string;
  readonly data?: string;
  readonly verify?: boolean;
  /** `--no-save` makes it false. */
  readonly save?: boolean;
  readonly youngGeneration?: number;
  /** One JSON object on stdout instead of the text lines (`replay-json.ts`). */
  readonly json?: boolean;
  /** With `--verify`, for asking a running server to save its live state first (`replay-live.ts`). */
  readonly token?: string;
}

/** A replay's figures and each rebuilt projection's state hash. */
interface Replayed extends ReplayFigures {
  /** The first skipped events, in `$all` order. */
  readonly firstSkipped: readonly SkippedAt[];
}

/** Rebuilds projections (by name) up to a position, however the events are reached. */
interface Replayer {
  /** The position of the last event, or −1. */
  head(): Promise<number>;
  /** `saveTo`: a directory to save the rebuilt states in as snapshots, if this replayer can. */
  replay(
    projections: readonly string[],
    upTo: number,
    onProgress: Progress,
    saveTo?: string,
  ): Promise<Replayed>;
  /** Whether any event lies after `after` up to `upTo` (inclusive): appended since the head was read. */
  eventsBetween(after: number, upTo: number): Promise<boolean>;
  /** Why rebuilt states cannot be saved through this replayer; absent when they can. */
  readonly cannotSave?: string;
  close(): Promise<void>;
}

type Progress = (events: number, position: number) => void;

/** Through a client: the store named, or the ledger a running server serves for the data directory. */
async function clientReplayer(url: string, named: boolean): Promise<Replayer> {
  // Only this path needs the client: a replay of the ledger's files never loads gRPC.
  const { connectEventStore } = await import('../../../adapters/eventstore/esdb-event-store.ts');
  const store = await connectEventStore(url);
  return {
    cannotSave: named
      ? 'the events were read through an event store client, and a server may be running on this data ' +
        'directory with its own snapshots: stop it, and run `tally replay` without --eventstore to rebuild them'
      : `the ledger is running (${url}), so its files were read through it, and the server on this data ` +
        'directory keeps its own snapshots: stop the server, and run `tally replay` again to rebuild them',
    async head() {
      for await (const event of store.readAll({ direction: 'backwards', limit: 1 })) return event.position;
      return -1;
    },
    async eventsBetween(after, upTo) {
      // Reading from a position starts at the event there, if any: the next one is the second.
      for await (const event of store.readAll({ fromPosition: Math.max(0, after), limit: 2 }))
        if (event.position > after) return event.position <= upTo;
      return false;
    },
    async replay(names, upTo, onProgress) {
      const projections = allProjections.filter((projection) => names.includes(projection.name));
      const started = performance.now();
      const firstSkipped: SkippedAt[] = [];
      const result = await replayProjections(store, projections, decodeRecorded, {
        upTo,
        progressEvery: 20_000,
        onProgress,
        onSkip: (event, reason) => {
          if (firstSkipped.length < firstSkippedKept)
            firstSkipped.push({ position: event.position, stream: event.streamId, reason });
        },
      });
      const replayed = performance.now();
      const hashes = new Map([...result.states].map(([name, state]) => [name, hashState(state)]));
      return {
        hashes,
        position: result.position,
        events: result.events,
        skipped: result.skipped.count,
        firstSkipped,
        replayMs: replayed - started,
        hashMs: performance.now() - replayed,
        how: 'through the event store client',
      };
    },
    close: () => store.close(),
  };
}

/**
 * How much a replay thread's heap may grow past what it held after a full collection before the next
 * one. A replay builds hundreds of megabytes of read models while making garbage at every event, and
 * with V8's own factor (up to 2, less as the heap nears its limit) each thread's heap grew far past
 * its live size. At the core benchmark's farm (1.78 million events, `/usr/bin/time tally replay
 * --no-save`, two runs each): V8's factor, peak RSS 1.16–1.29 GiB, 158 CPU seconds; 40 %, 0.80–0.81
 * GiB, 163–167 s; 20 %, 0.73–0.81 GiB, 182–228 s. V8's flags are the process's: this one is set only
 * here, in `tally replay`, which replays and exits, never in a server, whose request latency would pay
 * for the extra collections.
 */
const replayHeapGrowingPercent = 40;

/** The ledger's files read directly (no server runs for them), in one thread per core. */
async function fileReplayer(ledgerDirectory: string, youngGenerationMb?: number): Promise<Replayer> {
  setFlagsFromString(`--heap-growing-percent=${replayHeapGrowingPercent}`);
  const files = await openThreadedReplayer(ledgerDirectory);
  return {
    head: async () => files.headPosition(),
    // The replayer holds the ledger's lock: nothing can have been appended since the head was read.
    eventsBetween: async () => false,
    async replay(projections, upTo, onProgress, saveTo) {
      const result = await files.replay({
        projections,
        upTo,
        onProgress,
        weights: replayWeights,
        ...(youngGenerationMb ? { youngGenerationMb } : {}),
        ...(saveTo ? { snapshotDirectory: saveTo } : {}),
      });
      return {
        hashes: result.hashes,
        position: result.position,
        events: result.events,
        skipped: result.skipped.count,
        firstSkipped: result.skipped.first,
        replayMs: result.replayMs,
        hashMs: result.hashMs,
        ...(saveTo ? { saved: { directory: saveTo, ms: result.savedMs } } : {}),
        how: `reading the ledger's files in ${result.groups.length} threads`,
      };
    },
    close: () => files.close(),
  };
}

async function openReplayer(options: ReplayOptions, dataDir: string): Promise<Replayer> {
  const url = options.eventstore ?? (await readLedgerEndpoint(dataDir))?.url;
  if (url) return clientReplayer(url, options.eventstore !== undefined);
  const ledger = join(dataDir, 'ledger');
  // Opening the files would make an empty ledger: a mistyped --data must not pass for an empty farm.
  if (!existsSync(ledger)) {
    throw new CliError(
      'TALLY_CLI_NO_LEDGER',
      `${dataDir} holds no ledger: check --data (or TALLY_DATA), or pass --eventstore esdb://HOST:PORT?tls=false`,
    );
  }
  return fileReplayer(ledger, options.youngGeneration);
}

function replayWithProgress(
  replayer: Replayer,
  projections: readonly string[],
  upTo: number,
  label: string,
  saveTo?: string,
): Promise<Replayed> {
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% | {events} events | {rate} events/s`,
      clearOnComplete: true,
    },
    Presets.shades_classic,
  );
  const started = performance.now();
  bar.start(Math.max(1, upTo), 0, { events: 0, rate: 0 });
  return replayer
    .replay(
      projections,
      upTo,
      (events, position) =>
        bar.update(Math.max(0, position), {
          events,
          rate: Math.round(events / ((performance.now() - started) / 1000 || 1)),
        }),
      saveTo,
    )
    .finally(() => bar.stop());
}

function verdictLine(name: string, verdict: Verdict): string {
  const label = name.padEnd(12);
  switch (verdict.kind) {
    case 'identical':
      return `${label} identical   ${verdict.hash.slice(0, 16)}  @${verdict.position}`;
    case 'differs':
      return `${label} DIFFERS     live ${verdict.live.slice(0, 16)}  replayed ${verdict.replayed.slice(0, 16)}  @${verdict.position}`;
    case 'no-snapshot':
      return `${label} no snapshot (nothing to compare)`;
    case 'stale-snapshot':
      return `${label} stale snapshot (version ${verdict.version}; the server rebuilds it)`;
    case 'unreadable-snapshot':
      return `${label} UNREADABLE  ${verdict.why}`;
    default:
      return verdict satisfies never;
  }
}

/** Each skipped event once, with its position and stream, so that it can be found (`tally events show STREAM`). */
function logSkipped(logger: pino.Logger, replayed: Replayed): void {
  for (const { position, stream, reason } of replayed.firstSkipped)
    logger.warn({ position, stream, reason }, 'skipped an event no projection could read');
  const more = replayed.skipped - replayed.firstSkipped.length;
  if (more > 0)
    logger.warn({ more }, `skipped ${more} more events; only the first ${firstSkippedKept} are listed`);
}

export async function replay(options: ReplayOptions): Promise<void> {
  const dataDir = resolveDataDir(options.data);
  const logger = pino({ level: 'warn' }, process.stderr);
  const replayer = await openReplayer(options, dataDir);
  const names = allProjections.map((projection) => projection.name);
  const snapshotDir = join(dataDir, 'projections');
  // --verify compares with the snapshots, so it must not replace them first.
  const saveTo = options.save !== false && !options.verify && !replayer.cannotSave ? snapshotDir : undefined;
  try {
    // Before the head is read, so that the replay covers every state the server saves.
    const live = options.verify ? await saveLiveState(dataDir, options.token) : undefined;
    const last = await replayer.head();
    const full = await replayWithProgress(replayer, names, last, 'replaying', saveTo);
    const seconds = full.replayMs / 1000;
    if (!options.json)
      await writeLine(
        `replayed ${full.events} events into ${names.length} projections in ${seconds.toFixed(1)} s ` +
          `(${Math.round(full.events / (seconds || 1))} events/s, ${full.skipped} skipped; ${full.how}); ` +
          // The saving's own share is on the `saved` line below.
          `states hashed${full.saved ? ' and saved' : ''} in ${(full.hashMs / 1000).toFixed(1)} s`,
      );
    logSkipped(logger, full);
    if (!options.verify) {
      const notSaved = options.save === false ? '--no-save' : replayer.cannotSave;
      if (options.json) {
        await writeLine(replayJson(full, { kind: 'replayed', ...(notSaved ? { notSaved } : {}) }));
        return;
      }
      for (const name of names) await writeLine(`${name.padEnd(12)} ${full.hashes.get(name)!.slice(0, 16)}`);
      if (full.saved)
        await writeLine(
          `saved every rebuilt state as its snapshot in ${full.saved.directory} (${(full.saved.ms / 1000).toFixed(1)} s), ` +
            `as of position ${full.position}: the next \`tally serve\` starts from them`,
        );
      else if (options.save === false) await writeLine('not saved (--no-save)');
      else await writeLine(`not saved: ${replayer.cannotSave}`);
      return;
    }
    const snapshots = createFileSnapshotStore(snapshotDir, logger);
    const verdicts = await verifyProjections(
      allProjections,
      snapshots,
      full,
      (projections, upTo) => replayWithProgress(replayer, projections, upTo, `replaying to ${upTo}`),
      (after, upTo) => replayer.eventsBetween(after, upTo),
    );
    const named = (kind: Verdict['kind']) =>
      [...verdicts].filter(([, verdict]) => verdict.kind === kind).map(([name]) => name);
    const [differing, unreadable, compared] = [
      named('differs'),
      named('unreadable-snapshot'),
      named('identical'),
    ];
    const ok = differing.length === 0 && unreadable.length === 0 && compared.length > 0;
    if (!ok) process.exitCode = 1;
    if (options.json) {
      await writeLine(replayJson(full, { kind: 'verified', verdicts, ok, live: live! }));
      return;
    }
    const liveLine = liveSaveLine(live!);
    if (liveLine) await writeLine(liveLine);
    for (const [name, verdict] of verdicts) await writeLine(verdictLine(name, verdict));
    if (differing.length > 0) await writeLine(`differs from the live state: ${differing.join(', ')}`);
    if (unreadable.length > 0)
      await writeLine(
        `cannot be compared, their snapshots are unreadable: ${unreadable.join(', ')} ` +
          '(the next `tally serve` rebuilds them; verify again after it has saved new ones)',
      );
    if (differing.length > 0 || unreadable.length > 0) return;
    if (compared.length === 0)
      await writeLine(
        `nothing was compared: ${snapshotDir} holds no current snapshot; ` +
          'run `tally serve` on this data directory until it saves them, then verify again',
      );
    else await writeLine('every projection with a snapshot is identical to its replay');
  } finally {
    await replayer.close();
  }
}
