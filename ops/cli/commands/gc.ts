/**
 * `tally gc [--dry-run] [--max-freed SIZE] [--grace SECONDS] [--keep-evaluations N]`: one garbage
 * collection of the store, recorded as a `gc-<id>` stream; progress on stderr, a summary on stdout.
 * The farm's roots come from the event store (`--eventstore`, else the data directory's ledger).
 */
import { join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { GcProgress } from '../../../adapters/gc/collect.ts';
import { formatSize, parseSize } from '../../../adapters/gc/size.ts';
import { withEventStore } from '../connect.ts';
import { dataOption, existingStoreState, integerOption, resolveDataDir } from '../options.ts';
import { resolveStoreDir } from './store.ts';

interface GcOptions {
  readonly data?: string;
  readonly storeDir?: string;
  readonly eventstore?: string;
  readonly dryRun?: boolean;
  readonly maxFreed?: number;
  readonly grace: number;
  readonly keepEvaluations: number;
}

function describe(progress: GcProgress): string {
  switch (progress.phase) {
    case 'recovered':
      return `ended interrupted collection ${progress.gcId}; ${progress.leftovers} leftovers deleted`;
    case 'planned':
      return `${progress.live} paths live, ${progress.garbage} garbage (${formatSize(progress.garbageBytes)})`;
    case 'chunk':
      return `chunk ${progress.chunk}: ${progress.paths} paths, ${formatSize(progress.freedBytes)}`;
  }
}

async function gc(options: GcOptions): Promise<void> {
  // The collector and the store load when a collection runs, not with every `tally` command.
  const [{ collectGarbage }, { createEventStoreRootSource }, { createFileStoreGc }, { openFileStore }] =
    await Promise.all([
      import('../../../adapters/gc/collect.ts'),
      import('../../../adapters/gc/event-store-roots.ts'),
      import('../../../adapters/gc/file-store-gc.ts'),
      import('../../../adapters/store/file-store.ts'),
    ]);
  const dataDir = resolveDataDir(options.data);
  const stateDir = existingStoreState(dataDir);
  const storeDir = resolveStoreDir(options, dataDir);
  const summary = await withEventStore(options, async (events) =>
    collectGarbage({
      store: createFileStoreGc(await openFileStore({ storeDir, stateDir }), stateDir),
      events,
      rootSource: createEventStoreRootSource(events, { minKeepEvaluations: options.keepEvaluations }),
      gcDir: join(dataDir, 'gc'),
      actor: 'user:operator',
      policy: {
        keepEvaluations: options.keepEvaluations,
        gracePeriodSeconds: options.grace,
        ...(options.maxFreed !== undefined && { maxFreedBytes: options.maxFreed }),
        dryRun: options.dryRun ?? false,
      },
      onProgress: (progress) => process.stderr.write(`gc: ${describe(progress)}\n`),
    }),
  );
  const verb = summary.dryRun ? 'would free' : 'freed';
  console.log(
    `collection ${summary.gcId}: ${summary.validCount} valid paths, ${summary.liveCount} live, ` +
      `${summary.garbageCount} garbage; ${verb} ${formatSize(summary.freedBytes)} in ${summary.pathCount} paths`,
  );
}

export function registerGcCommand(program: Command): void {
  program
    .command('gc')
    .description('remove the store paths no root keeps (recorded as a gc-<id> event stream)')
    .option('--dry-run', 'record and report what would be removed, remove nothing')
    .addOption(
      new Option('--max-freed <size>', 'stop before freeing more than this (500M, 10G)').argParser((text) => {
        const bytes = parseSize(text);
        if (bytes === undefined) throw new InvalidArgumentError('expected a size such as 500M or 10G');
        return bytes;
      }),
    )
    .addOption(
      new Option('--grace <seconds>', 'keep paths registered within this many seconds')
        .argParser(integerOption('--grace'))
        .default(3600),
    )
    .addOption(
      new Option('--keep-evaluations <n>', "keep at least this many evaluations per spec (or the spec's own)")
        .argParser(integerOption('--keep-evaluations'))
        .default(1),
    )
    .addOption(dataOption())
    .addOption(
      new Option(
        '--store-dir <dir>',
        'the store directory (default: $TALLY_STORE_DIR, else <data>/nix/store)',
      ),
    )
    .addOption(
      new Option('--eventstore <url>', 'the event store (default: the ledger of the data directory)'),
    )
    .action(gc);
}
