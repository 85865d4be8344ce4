/**
 * `tally events …`: look at the events of any EventStoreDB-compatible store (by default the local
 * ledger): `show` one stream, `tail` `$all` live, `stats` over `$all`.
 */
import type { Command } from 'commander';
import { CliError } from '../cli-error.ts';
import { withEventStore } from '../connect.ts';
import { addEventStoreOptions, type EventStoreOptions, integerOption } from '../options.ts';
import { eventLine, writeLine } from '../output.ts';
import { registerEventsStatsCommand } from './events-stats.ts';
import { registerEventsTailCommand } from './events-tail.ts';

interface ShowOptions extends EventStoreOptions {
  readonly json?: boolean;
  readonly backwards?: boolean;
  readonly limit?: number;
}

async function show(stream: string, options: ShowOptions): Promise<void> {
  if (stream === '')
    throw new CliError(
      'TALLY_CLI_INVALID_OPTION',
      'a stream name is needed: `tally events stats` lists the categories (build-…, eval-…, spec-…)',
    );
  await withEventStore(options, async (store) => {
    let count = 0;
    const events = store.readStream(stream, {
      direction: options.backwards ? 'backwards' : 'forwards',
      ...(options.limit === undefined ? {} : { limit: options.limit }),
    });
    for await (const event of events) {
      await writeLine(eventLine(event, options.json === true));
      count += 1;
    }
    if (count === 0) {
      // As `tally history` answers an aggregate with no events: a failure, so scripts notice the typo.
      console.error(
        `tally: stream ${stream} has no events: check its name (\`tally events stats\` counts the events by category) [TALLY_CLI_NO_EVENTS]`,
      );
      process.exitCode = 1;
    }
  });
}

export function registerEventsCommand(program: Command): void {
  const events = program
    .command('events')
    .description(
      'read the events of the local ledger or of any EventStoreDB-compatible store (--eventstore)',
    );
  addEventStoreOptions(
    events
      .command('show')
      .description('print the events of one stream, oldest first')
      .argument('<stream>', 'stream name, e.g. build-<hash> or spec-<name>')
      .option('--json', 'one JSON object per line')
      .option('--backwards', 'newest first')
      .option('--limit <n>', 'print at most n events', integerOption('--limit', { min: 1 })),
  ).action(show);
  registerEventsTailCommand(events);
  registerEventsStatsCommand(events);
}
