/**
 * `tally serve` (what `npm start` runs): the Tally server with its embedded event store, in the data
 * directory, until SIGTERM or Ctrl-C.
 */
import { existsSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import pino from 'pino';
import { detectBubblewrap } from '../../../adapters/builders/native/bubblewrap.ts';
import { type IsolationMode, isolationModes } from '../../../adapters/builders/native/isolation.ts';
import { CliError } from '../cli-error.ts';
import {
  dataOption,
  defaultLedgerPort,
  integerOption,
  portOption,
  readLedgerEndpoint,
  resolveDataDir,
} from '../options.ts';
import { nextStopSignal } from '../stop-signal.ts';
import { packageVersion } from '../version.ts';

interface ServeOptions {
  readonly data?: string;
  readonly eventstore?: string;
  readonly ledgerPort: number;
  readonly host: string;
  readonly port: number;
  readonly storeDir?: string;
  readonly localWorkers: number;
  readonly builder: 'native' | 'nix';
  readonly isolation: IsolationMode;
  readonly demo?: boolean;
  readonly substituter: string[];
  readonly evaluations: number;
  readonly evalTimeout: number;
  readonly evalMemory: number;
}

async function serve(options: ServeOptions): Promise<void> {
  const dataDir = resolveDataDir(options.data);
  const running = await readLedgerEndpoint(dataDir);
  if (running && !options.eventstore) {
    throw new CliError(
      'TALLY_CLI_LEDGER_RUNNING',
      `Tally is already running for ${dataDir} (ledger at ${running.url}, pid ${running.pid}): stop it first, or use another --data`,
    );
  }
  if (options.isolation === 'bwrap') {
    // Asked for by name, isolation is a requirement: better no farm than builds failing one by one.
    const bwrap = await detectBubblewrap();
    if (!bwrap.usable) {
      throw new CliError(
        'TALLY_CLI_ISOLATION_UNAVAILABLE',
        `--isolation bwrap cannot isolate builds here: ${bwrap.why}. Install bubblewrap (apt-get install bubblewrap) where user namespaces are allowed, or start with --isolation auto (isolates when it can) or none`,
      );
    }
  }
  const logger = pino({ base: { pid: process.pid } });
  // Listening for the stop signals from the start: until a listener exists, a signal kills the process
  // outright, and one sent just after the server said it started would catch it before this command
  // listened. A stop asked for while starting is carried out once started; a second one stops at once.
  const stopping = nextStopSignal();
  void stopping.then(() => nextStopSignal().then(() => process.exit(1)));
  // Loaded here, not at the top: the server is most of the code, and every other command would load it.
  const { startTally } = await import('../../server/start-tally.ts');
  const madeDataDir = !existsSync(dataDir);
  const server = await startTally({
    dataDir,
    ledgerPort: options.ledgerPort,
    host: options.host,
    port: options.port,
    logger,
    ...(options.storeDir ? { storeDir: options.storeDir } : {}),
    localWorkers: options.localWorkers,
    builder: options.builder,
    isolation: options.isolation,
    demo: options.demo === true,
    substituters: options.substituter,
    evaluationConcurrency: options.evaluations,
    evaluationTimeoutMs: options.evalTimeout * 1000,
    evaluationMemoryBytes: options.evalMemory * 1024 * 1024,
    version: packageVersion(),
    ...(options.eventstore ? { eventstore: options.eventstore } : {}),
  }).catch(async (error: unknown) => {
    // A start that failed before writing anything leaves no empty data directory behind (rmdir
    // removes an empty one only).
    if (madeDataDir) await rmdir(dataDir).catch(() => undefined);
    throw error;
  });
  const token = server.firstToken
    ? `  admin token: ${server.firstToken}   (shown once; writes need it as a bearer token)\n`
    : '';
  process.stderr.write(
    `\nTally is running. Data: ${dataDir}\n` +
      `  API:         ${server.apiUrl}/api/docs\n` +
      `  cache:       ${server.apiUrl}/cache   trusted-public-keys = ${server.publicKey}\n` +
      `  event store: ${server.eventstoreUrl}\n` +
      token +
      (server.demo
        ? `  demo:        ${server.apiUrl}/api/specs/demo   builds: ${server.apiUrl}/api/builds?spec=demo\n` +
          `               repository ${server.demo.repository}: commit to it and watch a new evaluation\n`
        : '') +
      `  try:         curl ${server.apiUrl}/healthz    npx tally events tail${options.data ? ` --data ${dataDir}` : ''}\n` +
      '  stop:        Ctrl-C\n\n',
  );
  const signal = await Promise.race([
    stopping,
    server.failed.then(() => {
      process.exitCode = 1;
      return 'failure' as const;
    }),
  ]);
  logger.info({ signal }, 'stopping');
  await server.stop();
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the Tally server with its embedded event store (what `npm start` runs)')
    .addOption(dataOption())
    .option('--eventstore <url>', 'use this EventStoreDB/KurrentDB instead of the embedded ledger (esdb://…)')
    .option('--host <host>', 'interface the HTTP API listens on', '127.0.0.1')
    .addOption(
      new Option('--port <port>', 'HTTP API port; 0 picks a free one')
        .default(8080)
        .argParser(portOption('--port')),
    )
    .option('--store-dir <dir>', 'the store directory outputs live in (default <data>/nix/store)')
    .addOption(
      new Option('--ledger-port <port>', "the embedded ledger's port; 0 picks a free one")
        .default(defaultLedgerPort)
        .argParser(portOption('--ledger-port')),
    )
    .addOption(
      new Option('--local-workers <n>', 'workers to run inside the server (builds on this machine)')
        .default(0)
        .argParser(integerOption('--local-workers')),
    )
    .addOption(
      new Option(
        '--builder <kind>',
        'how local workers build: native (Tally itself) or nix (nix-store --realise)',
      )
        .choices(['native', 'nix'])
        .default('native'),
    )
    .addOption(
      new Option(
        '--isolation <mode>',
        'how native builds are sandboxed: auto (bwrap where it works), bwrap (required), none',
      )
        .choices(isolationModes)
        .default('auto'),
    )
    .option(
      '--substituter <url>',
      'an upstream binary cache asked before building (repeatable)',
      (url: string, all: string[]) => [...all, url],
      [] as string[],
    )
    .addOption(
      new Option('--evaluations <n>', 'evaluations run at once')
        .default(2)
        .argParser(integerOption('--evaluations', { min: 1 })),
    )
    .addOption(
      new Option('--eval-timeout <seconds>', 'wall-clock limit of one evaluation')
        .default(300)
        .argParser(integerOption('--eval-timeout', { min: 1 })),
    )
    .addOption(
      new Option('--eval-memory <MiB>', "memory (address space) of one evaluation's programs")
        .default(2048)
        .argParser(integerOption('--eval-memory', { min: 1 })),
    )
    .option('--demo', 'create and follow the demo jobset (ops/demo/) in the data directory')
    .action(serve);
}
