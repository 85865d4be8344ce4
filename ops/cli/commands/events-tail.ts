/**
 * `tally events tail`: follows `$all` live, optionally filtered, until Ctrl-C.
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { SubscriptionFilter, SubscriptionStart } from '../../../adapters/eventstore/event-store.ts';
import { CliError } from '../cli-error.ts';
import { withEventStore } from '../connect.ts';
import { addEventStoreOptions, type EventStoreOptions } from '../options.ts';
import { eventLine, writeLine } from '../output.ts';

interface TailOptions extends EventStoreOptions {
  readonly from: string;
  readonly json?: boolean;
  readonly streamPrefix?: string[];
  readonly typePrefix?: string[];
  readonly typeRegex?: string;
}

/** The one server-side filter the options ask for (the store filters on one thing at a time). */
/** A pattern checked here: the store would refuse it only after connecting, in its own words. */
function regexOption(value: string): string {
  try {
    new RegExp(value);
  } catch (error) {
    throw new InvalidArgumentError(
      `--type-regex ${value} is not a regular expression (${(error as Error).message}).`,
    );
  }
  return value;
}

export function tailFilter(options: Pick<TailOptions, 'streamPrefix' | 'typePrefix' | 'typeRegex'>) {
  const filters: SubscriptionFilter[] = [];
  if (options.streamPrefix) filters.push({ streamPrefixes: options.streamPrefix });
  if (options.typePrefix) filters.push({ typePrefixes: options.typePrefix });
  if (options.typeRegex !== undefined) filters.push({ typeRegex: options.typeRegex });
  if (filters.length > 1) {
    throw new CliError(
      'TALLY_CLI_INVALID_OPTION',
      'use one of --stream-prefix, --type-prefix and --type-regex at a time (prefixes may be repeated)',
    );
  }
  return filters[0];
}

/** `start`, `end` or a position. */
export function tailStart(from: string): SubscriptionStart {
  if (from === 'start' || from === 'end') return from;
  if (/^\d+$/.test(from) && Number.isSafeInteger(Number(from))) return Number(from);
  throw new CliError('TALLY_CLI_INVALID_OPTION', `--from must be start, end or a position, not ${from}`);
}

async function tail(options: TailOptions): Promise<void> {
  const filter = tailFilter(options);
  const from = tailStart(options.from);
  await withEventStore(options, async (store) => {
    const subscription = store.subscribeToAll({ from, ...(filter ? { filter } : {}) });
    const stop = () => void subscription.cancel();
    process.once('SIGINT', stop).once('SIGTERM', stop);
    try {
      for await (const message of subscription) {
        if (message.kind === 'event') await writeLine(eventLine(message.event, options.json === true));
      }
    } finally {
      process.off('SIGINT', stop).off('SIGTERM', stop);
    }
  });
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export function registerEventsTailCommand(events: Command): void {
  addEventStoreOptions(
    events
      .command('tail')
      .description('follow new events of all streams live, until Ctrl-C (system events are never shown)')
      .option('--from <where>', 'start, end, or a position (exclusive) to resume from', 'end')
      .option('--stream-prefix <prefix>', 'only streams whose name starts with prefix (repeatable)', collect)
      .option('--type-prefix <prefix>', 'only event types that start with prefix (repeatable)', collect)
      .option('--type-regex <regex>', 'only event types matching this regular expression', regexOption)
      .option('--json', 'one JSON object per line'),
  ).action(tail);
}
