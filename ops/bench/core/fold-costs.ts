/**
 * What each projection's fold costs, alone: the core suite's synthetic farm generated in memory (no
 * store, no decoding) and folded into one projection at a time, in CPU microseconds per event of the
 * whole history, with the heap its state keeps. Where a replay's time and memory go, projection by
 * projection; `tally replay` balances its threads by these proportions (`ops/cli/commands/replay-weights.ts`).
 *
 *   node --expose-gc --import tsx ops/bench/core/fold-costs.ts [scale, default 0.05]
 */
import type { TallyEvent } from '../../../domain/events.ts';
import { allProjections } from '../../../projections/catalogue.ts';
import type { SourceEvent } from '../../../projections/runtime/event-source.ts';
import { foldEvent, newSlot, sealSlot } from '../../../projections/runtime/fold.ts';
import type { ProjectedEvent } from '../../../projections/runtime/projection.ts';
import { coreFarmOptions, syntheticFarm } from './synthetic-farm.ts';

const scale = Number(process.argv[2] ?? '0.05');
const collect = (globalThis as { gc?: () => void }).gc;
if (!collect) throw new Error('run with node --expose-gc so retained heap can be measured');

const history: ProjectedEvent<TallyEvent>[] = [];
syntheticFarm({
  ...coreFarmOptions(scale),
  sink: (event) => history.push(event),
});
process.stdout.write(`${history.length} events at scale ${scale}\n`);

// The events as the store hands them over, made once: only the fold is timed.
const sources = history.map((projected) => ({
  streamId: projected.streamId,
  revision: projected.revision,
  position: projected.position,
  id: projected.id ?? '',
  type: projected.event.type,
  data: projected.event.data,
  metadata: projected.metadata,
  created: projected.recordedAt,
  event: projected.event,
}));
const skipped = { count: 0, byReason: {} };
// Already typed: the fold's decode step hands the event through.
const decode = (source: SourceEvent) => ({
  ok: true as const,
  event: (source as (typeof sources)[number]).event,
});

/** CPU µs per event of folding the whole history into `projections`, and the heap their states keep. */
function measure(projections: typeof allProjections): { micros: number; retained: number } {
  collect!();
  const before = process.memoryUsage().heapUsed;
  const slots = projections.map(newSlot);
  const started = process.cpuUsage();
  for (const source of sources) foldEvent(slots, source, decode, skipped, () => undefined);
  const cpu = process.cpuUsage(started);
  const states = slots.map(sealSlot);
  collect!();
  const retained = process.memoryUsage().heapUsed - before;
  if (states.length !== projections.length) throw new Error('a state went missing');
  return { micros: (cpu.user + cpu.system) / sources.length, retained };
}

const empty = measure([]);
process.stdout.write(
  `${'(none)'.padEnd(12)} ${empty.micros.toFixed(2).padStart(6)} µs/event (the loop alone)\n`,
);
for (const projection of allProjections) {
  const { micros, retained } = measure([projection]);
  process.stdout.write(
    `${projection.name.padEnd(12)} ${(micros - empty.micros).toFixed(2).padStart(6)} µs/event  ` +
      `${(retained / 2 ** 20).toFixed(1).padStart(6)} MiB retained  (${(retained / sources.length).toFixed(0)} B/event)\n`,
  );
}
