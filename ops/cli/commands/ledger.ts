/**
 * `tally ledger serve`: runs the embedded ledger on its own, announces it in `<data>/ledger.json`, and
 * stops cleanly on SIGTERM or SIGINT.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import pino from 'pino';
import { CliError } from '../cli-error.ts';
import {
  dataOption,
  defaultLedgerPort,
  portOption,
  readLedgerEndpoint,
  removeLedgerEndpoint,
  resolveDataDir,
  writeLedgerEndpoint,
} from '../options.ts';
import { nextStopSignal } from '../stop-signal.ts';
import { packageVersion } from '../version.ts';

interface ServeOptions {
  readonly data?: string;
  readonly port: number;
  readonly host: string;
  readonly memory?: boolean;
}

async function serve(options: ServeOptions): Promise<void> {
  const dataDir = resolveDataDir(options.data);
  const running = await readLedgerEndpoint(dataDir);
  if (running) {
    throw new CliError(
      'TALLY_CLI_LEDGER_RUNNING',
      `a ledger is already running for ${dataDir} at ${running.url} (pid ${running.pid}): stop it first`,
    );
  }
  const logger = pino({ base: { pid: process.pid } });
  const directory = join(dataDir, 'ledger');
  if (!options.memory) await mkdir(directory, { recursive: true });
  // Loaded when the ledger starts: its gRPC server is much of what `tally` loads.
  const { startLedger } = await import('../../../adapters/ledger/index.ts');
  const ledger = await startLedger({
    ...(options.memory ? { memory: true } : { directory }),
    host: options.host,
    port: options.port,
    logger,
    version: packageVersion(),
  });
  const stopping = nextStopSignal();
  await writeLedgerEndpoint(dataDir, { url: ledger.url, pid: process.pid });
  logger.info(
    { url: ledger.url, dataDir, memory: options.memory === true },
    `ledger listening on ${ledger.url}`,
  );
  const signal = await stopping;
  logger.info({ signal }, 'stopping the ledger');
  // A second signal while closing means "now": leave without waiting for the close.
  void nextStopSignal().then(() => process.exit(1));
  await removeLedgerEndpoint(dataDir);
  await ledger.close();
  logger.info('exiting');
}

export function registerLedgerCommand(program: Command): void {
  const ledger = program.command('ledger').description("run Tally's embedded event store on its own");
  ledger
    .command('serve')
    .description(
      'serve the embedded ledger (EventStoreDB gRPC protocol) until SIGTERM or Ctrl-C; ' +
        'logs JSON to stdout and writes its URL to <data>/ledger.json while running',
    )
    .addOption(dataOption())
    .addOption(
      new Option('--port <port>', 'TCP port; 0 picks a free one')
        .default(defaultLedgerPort)
        .argParser(portOption('--port')),
    )
    .addOption(
      new Option('--host <host>', 'interface to listen on (the ledger has no authentication)').default(
        '127.0.0.1',
      ),
    )
    .option('--memory', 'keep the events in memory only (gone when it stops)')
    .action(serve);
}
