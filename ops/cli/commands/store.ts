/**
 * `tally store verify`: checks every valid path of the store against its recorded NAR hash (and its
 * compressed NAR against its file hash), with progress on stderr; exits 1 naming each bad path.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import { type Command, Option } from 'commander';
import { CliError } from '../cli-error.ts';
import { dataOption, existingStoreState, resolveDataDir } from '../options.ts';

interface StoreOptions {
  readonly data?: string;
  readonly storeDir?: string;
}

/** The store directory: `--store-dir`, else `$TALLY_STORE_DIR`, else `<data>/nix/store`. */
/**
 * The store directory of an existing store: a command on the paths of a farm must not make an empty
 * one where a mistyped `--store-dir` points (every path would look missing, or garbage).
 */
export function resolveStoreDir(options: StoreOptions, dataDir: string): string {
  const storeDir = options.storeDir || process.env.TALLY_STORE_DIR || join(dataDir, 'nix', 'store');
  if (!existsSync(storeDir))
    throw new CliError(
      'TALLY_CLI_NO_STORE',
      `the store directory ${storeDir} does not exist: check --store-dir (or TALLY_STORE_DIR), or leave it out for the data directory's own`,
    );
  return storeDir;
}

async function verify(options: StoreOptions): Promise<void> {
  // The store's code loads when it is verified, not with every `tally` command.
  const [{ openFileStore }, { verifyStore }] = await Promise.all([
    import('../../../adapters/store/file-store.ts'),
    import('../../../adapters/store/verify.ts'),
  ]);
  const dataDir = resolveDataDir(options.data);
  const stateDir = existingStoreState(dataDir);
  const store = await openFileStore({ storeDir: resolveStoreDir(options, dataDir), stateDir });
  const bar = new SingleBar(
    { stream: process.stderr, format: 'verifying {bar} {value}/{total} paths' },
    Presets.shades_classic,
  );
  let started = false;
  const report = await verifyStore(store, (done, total) => {
    if (!started) bar.start(total, 0);
    started = true;
    bar.update(done);
  });
  if (started) bar.stop();
  for (const problem of report.problems) console.error(`tally: ${problem.path}: ${problem.detail}`);
  const bad = report.problems.length;
  console.error(`${report.checked} paths checked, ${bad} bad`);
  if (bad > 0) process.exitCode = 1;
}

export function registerStoreCommand(program: Command): void {
  const store = program.command('store').description("Tally's store of valid paths");
  store
    .command('verify')
    .description('check every valid path against its NAR hash; exits 1 naming each bad path')
    .addOption(dataOption())
    .addOption(
      new Option(
        '--store-dir <dir>',
        'the store directory (default: $TALLY_STORE_DIR, else <data>/nix/store)',
      ),
    )
    .action(verify);
}
