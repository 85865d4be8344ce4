/**
 * `tally events stats`: counts events, streams and events per category over `$all`, showing progress
 * on stderr (when it is a terminal) since that read can be long.
 */
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { EventStore } from '../../../adapters/eventstore/event-store.ts';
import { withEventStore } from '../connect.ts';
import { addEventStoreOptions, type EventStoreOptions } from '../options.ts';
import { writeLine } from '../output.ts';

/** What `stats` reports. */
export interface EventStats {
  readonly events: number;
  readonly streams: number;
  /** Events per category: the part of the stream name before the first `-` (the whole name without one). */
  readonly categories: Record<string, number>;
  /** The position of the last event, or null for an empty store. */
  readonly headPosition: number | null;
}

export const categoryOf = (streamId: string): string => streamId.split('-', 1)[0] ?? streamId;

/** Reads `$all` once, reporting the position reached to `progress`. */
export async function computeStats(
  store: EventStore,
  progress: (position: number, events: number) => void = () => {},
): Promise<EventStats> {
  const streams = new Set<string>();
  const categories = new Map<string, number>();
  let events = 0;
  let headPosition: number | null = null;
  for await (const event of store.readAll()) {
    events += 1;
    streams.add(event.streamId);
    const category = categoryOf(event.streamId);
    categories.set(category, (categories.get(category) ?? 0) + 1);
    headPosition = event.position;
    if (events % 1000 === 0) progress(event.position, events);
  }
  const sorted = [...categories].sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  return { events, streams: streams.size, categories: Object.fromEntries(sorted), headPosition };
}

async function lastPosition(store: EventStore): Promise<number> {
  for await (const event of store.readAll({ direction: 'backwards', limit: 1 })) return event.position;
  return 0;
}

function formatStats(stats: EventStats): string[] {
  const width = Math.max(8, ...Object.keys(stats.categories).map((c) => c.length + 2));
  const row = (label: string, value: number | string) => `${label.padEnd(width)}  ${value}`;
  return [
    row('events', stats.events),
    row('streams', stats.streams),
    row('head', stats.headPosition ?? '-'),
    'categories',
    ...Object.entries(stats.categories).map(([category, count]) => row(`  ${category}`, count)),
  ];
}

async function stats(options: EventStoreOptions & { json?: boolean }): Promise<void> {
  await withEventStore(options, async (store) => {
    const bar = new SingleBar(
      {
        stream: process.stderr,
        format: 'reading $all [{bar}] {percentage}% | {events} events',
        clearOnComplete: true,
      },
      Presets.shades_classic,
    );
    bar.start(Math.max(1, await lastPosition(store)), 0, { events: 0 });
    let result: EventStats;
    try {
      result = await computeStats(store, (position, events) => bar.update(position, { events }));
    } finally {
      bar.stop();
    }
    if (options.json) await writeLine(JSON.stringify(result));
    else for (const line of formatStats(result)) await writeLine(line);
  });
}

export function registerEventsStatsCommand(events: Command): void {
  addEventStoreOptions(
    events
      .command('stats')
      .description('count events, streams and events per category (stream name before the first -) over $all')
      .option('--json', 'print one JSON object'),
  ).action(stats);
}
