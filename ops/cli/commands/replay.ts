/** `tally replay [--verify]`: the command and its options; what it does is in replay-run.ts. */
import { type Command, Option } from 'commander';
import { addEventStoreOptions, integerOption } from '../options.ts';
import type { ReplayOptions } from './replay-run.ts';

export function registerReplayCommand(program: Command): void {
  addEventStoreOptions(
    program
      .command('replay')
      .description('rebuild every projection from the first event; --verify compares with the live state')
      .option(
        '--verify',
        'compare each rebuilt state with the live one (a running server saves it first); exit 1 if any differs',
      )
      .option('--no-save', "only hash the rebuilt states: leave the data directory's snapshots as they are")
      .option('--json', 'print the run as one JSON object (figures, hashes, verdicts) instead of lines')
      .addOption(
        new Option(
          '--token <token>',
          'with --verify: a token for asking a server running on --data to save its live state first (default: $TALLY_TOKEN)',
        ).env('TALLY_TOKEN'),
      )
      .option(
        '--young-generation <MiB>',
        "each replay thread's young generation (reading the ledger's files): larger is faster and takes more memory",
        integerOption('--young-generation', { min: 1 }),
      ),
  ).action(async (options: ReplayOptions) => {
    // The replay's code (the catalogue, the threads, the snapshot store) loads only for this command.
    const { replay } = await import('./replay-run.ts');
    await replay(options);
  });
}
