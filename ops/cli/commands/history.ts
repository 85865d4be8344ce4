/**
 * `tally history CATEGORY ID`: an aggregate's raw event stream (`<category>-<id>`) through
 * `GET /api/history/:category/:id`, every page; `--json` prints the events as one JSON array.
 */
import type { Command } from 'commander';
import { type ApiOptions, addApiOptions, callApi, pathSegment } from '../api-client.ts';
import { writeLine } from '../output.ts';

interface EventView {
  readonly stream: string;
  readonly revision: number;
  readonly position: number;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: Record<string, unknown>;
  readonly recorded: string;
}

interface HistoryPage {
  readonly events: readonly EventView[];
  readonly next: number | null;
}

const maxDataWidth = 160;

function line(event: EventView): string {
  const data = JSON.stringify(event.data) ?? 'null';
  const shown = data.length > maxDataWidth ? `${data.slice(0, maxDataWidth - 1)}…` : data;
  const actor = typeof event.metadata.actor === 'string' ? event.metadata.actor : '-';
  return `${event.recorded}  ${event.stream}@${event.revision}  ${event.type}  (${event.position})  ${actor}  ${shown}`;
}

async function history(category: string, id: string, options: ApiOptions): Promise<void> {
  const base = `/api/history/${pathSegment(category)}/${pathSegment(id)}?limit=1000`;
  let from: number | null = 0;
  // With --json, one JSON array written as the pages arrive: a long history never waits in memory.
  let written = 0;
  while (from !== null) {
    const { body }: { body: HistoryPage } = await callApi<HistoryPage>(
      options,
      'GET',
      `${base}&from=${from}`,
    );
    for (const event of body.events) {
      if (options.json) await writeLine(`${written === 0 ? '[' : ','}${JSON.stringify(event)}`);
      else await writeLine(line(event));
      written += 1;
    }
    from = body.next;
  }
  if (options.json) await writeLine(written === 0 ? '[]' : ']');
}

export function registerHistoryCommand(program: Command): void {
  addApiOptions(
    program
      .command('history')
      .description("an aggregate's raw events, oldest first, through the API of a running server")
      .argument('<category>', 'spec, checkout, eval, build, worker, gc or notification')
      .argument('<id>', "the aggregate's id (a spec name, an evaluation id, a build's hash part…)"),
  ).action(history);
}
