/**
 * `tally replay [--verify]`: rebuilds every projection of the catalogue from the first event, with a
 * progress bar on stderr. `--verify` compares each rebuilt state with the live one the server saved in
 * `<data>/projections/` and exits 1 naming any projection that differs. Without a running ledger for the
 * data directory (and no `--eventstore`), the ledger's files are read directly for the run (no server,
 * no client: several times faster than reading through one).
 */
import { join } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import pino from 'pino';
import { connectEventStore } from '../../../adapters/eventstore/esdb-event-store.ts';
import { decodeRecorded } from '../../../adapters/eventstore/read-domain-event.ts';
import { openDirectLedgerReader } from '../../../adapters/ledger/direct-reader.ts';
import { createFileSnapshotStore } from '../../../adapters/projection-snapshots/file-snapshot-store.ts';
import type { TallyEvent } from '../../../domain/events.ts';
import { allProjections } from '../../../projections/catalogue.ts';
import type { EventSource } from '../../../projections/runtime/event-source.ts';
import type { AnyProjection } from '../../../projections/runtime/projection.ts';
import { type ReplayResult, replayProjections } from '../../../projections/runtime/replay.ts';
import { hashState } from '../../../projections/runtime/state-hash.ts';
import { addEventStoreOptions, readLedgerEndpoint, resolveDataDir } from '../options.ts';
import { writeLine } from '../output.ts';
import { type Verdict, verifyProjections } from './replay-verify.ts';

interface ReplayOptions {
  readonly eventstore?: string;
  readonly data?: string;
  readonly verify?: boolean;
}

type Events = Pick<EventSource, 'readAll'>;

/** The store named, the ledger running for the data directory, or the ledger's files read directly. */
async function openStore(
  options: ReplayOptions,
  dataDir: string,
): Promise<{ store: Events; head: () => Promise<number>; close: () => Promise<void> }> {
  const url = options.eventstore ?? (await readLedgerEndpoint(dataDir))?.url;
  if (url) {
    const store = await connectEventStore(url);
    const head = async () => {
      for await (const event of store.readAll({ direction: 'backwards', limit: 1 })) return event.position;
      return -1;
    };
    return { store, head, close: () => store.close() };
  }
  const reader = await openDirectLedgerReader({
    directory: join(dataDir, 'ledger'),
    logger: pino({ level: 'warn' }, process.stderr),
  });
  return { store: reader, head: async () => reader.headPosition(), close: () => reader.close() };
}

function replayWithProgress(
  store: Events,
  projections: readonly AnyProjection<TallyEvent>[],
  upTo: number,
  label: string,
): Promise<ReplayResult> {
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
  return replayProjections(store, projections, decodeRecorded, {
    upTo,
    progressEvery: 20_000,
    onProgress: (events, position) =>
      bar.update(Math.max(0, position), {
        events,
        rate: Math.round(events / ((performance.now() - started) / 1000 || 1)),
      }),
  }).finally(() => bar.stop());
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
    default:
      return verdict satisfies never;
  }
}

async function replay(options: ReplayOptions): Promise<void> {
  const dataDir = resolveDataDir(options.data);
  const { store, head, close } = await openStore(options, dataDir);
  try {
    const last = await head();
    const started = performance.now();
    const full = await replayWithProgress(store, allProjections, last, 'replaying');
    const seconds = (performance.now() - started) / 1000;
    await writeLine(
      `replayed ${full.events} events into ${allProjections.length} projections in ${seconds.toFixed(1)} s ` +
        `(${Math.round(full.events / (seconds || 1))} events/s, ${full.skipped.count} skipped)`,
    );
    if (!options.verify) {
      for (const projection of allProjections)
        await writeLine(
          `${projection.name.padEnd(12)} ${hashState(full.states.get(projection.name)).slice(0, 16)}`,
        );
      return;
    }
    const snapshots = createFileSnapshotStore(
      join(dataDir, 'projections'),
      pino({ level: 'warn' }, process.stderr),
    );
    const verdicts = await verifyProjections(allProjections, snapshots, full, (projections, upTo) =>
      replayWithProgress(store, projections, upTo, `replaying to ${upTo}`),
    );
    for (const [name, verdict] of verdicts) await writeLine(verdictLine(name, verdict));
    const differing = [...verdicts].filter(([, verdict]) => verdict.kind === 'differs').map(([name]) => name);
    if (differing.length > 0) {
      await writeLine(`differs from the live state: ${differing.join(', ')}`);
      process.exitCode = 1;
    } else {
      await writeLine('every projection with a snapshot is identical to its replay');
    }
  } finally {
    await close();
  }
}

export function registerReplayCommand(program: Command): void {
  addEventStoreOptions(
    program
      .command('replay')
      .description('rebuild every projection from the first event; --verify compares with the live snapshots')
      .option(
        '--verify',
        'compare each rebuilt state with the snapshot the server saved; exit 1 if any differs',
      ),
  ).action(replay);
}
