import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { IsolationMode } from '../../adapters/builders/native/isolation.ts';
import { connectEventStore } from '../../adapters/eventstore/esdb-event-store.ts';
import type { EventStore } from '../../adapters/eventstore/event-store.ts';
import { decodeRecorded } from '../../adapters/eventstore/read-domain-event.ts';
import { collectGarbage } from '../../adapters/gc/collect.ts';
import { createEventStoreRootSource } from '../../adapters/gc/event-store-roots.ts';
import { createFileStoreGc } from '../../adapters/gc/file-store-gc.ts';
import { freeSpaceOf, startPeriodicGc } from '../../adapters/gc/periodic.ts';
import { startLedgerThread } from '../../adapters/ledger/index.ts';
import type { Poller } from '../../adapters/pipeline/poller/index.ts';
import { createFileSnapshotStore } from '../../adapters/projection-snapshots/file-snapshot-store.ts';
import { preloadSnapshots } from '../../adapters/projection-snapshots/preload.ts';
import { openFileStore } from '../../adapters/store/file-store.ts';
import type { Store } from '../../adapters/store/store.ts';
import { buildApp, type TallyApp } from '../../api/app.ts';
import { presentedToken } from '../../api/auth/presented-token.ts';
import { openTokenStore, type TokenStore } from '../../api/auth/token-store.ts';
import { cacheRoutes } from '../../api/routes/cache/index.ts';
import { evaluationLogRoutes } from '../../api/routes/evaluation-log/index.ts';
import { hookRoutes, openHookSecrets } from '../../api/routes/hooks/index.ts';
import type { TallyEvent } from '../../domain/events.ts';
import { allProjections } from '../../projections/catalogue.ts';
import { createProjectionRunner, type ProjectionRunner } from '../../projections/runtime/runner.ts';
import type { SnapshotStore } from '../../projections/runtime/snapshot-store.ts';
import { removeLedgerEndpoint, serverEndpointPath, writeLedgerEndpoint } from '../cli/options.ts';
import { seedDemo } from './demo.ts';
import { loadOrCreateFarmKey } from './farm-key.ts';
import { listenProblem, reachableUrl } from './listen-address.ts';
import { type Pipeline, startPipeline } from './start-pipeline.ts';

export interface TallyServerOptions {
  /** The data directory: the ledger's log, snapshots, the store, tokens, keys. */
  readonly dataDir: string;
  /** An external event store's connection string; absent: start the embedded ledger. */
  readonly eventstore?: string;
  /** The embedded ledger's port (EventStoreDB's 2113 by default; 0 for a free one). */
  readonly ledgerPort: number;
  /** Where the HTTP API listens: loopback by default. */
  readonly host: string;
  readonly port: number;
  /** The store directory outputs live in; `<data>/nix/store` by default (the native builder's). */
  readonly storeDir?: string;
  /** Collect garbage when the store's disk has less free space than this share (percent). Default 10. */
  readonly gcMinFreePercent?: number;
  /** How often the free space is checked. Default 5 minutes. */
  readonly gcCheckEveryMs?: number;
  /** Workers run inside the server. Default 0. */
  readonly localWorkers?: number;
  /** How local workers build. Default native. */
  readonly builder?: 'native' | 'nix';
  /** Whether native builds run in a bubblewrap sandbox. Default auto (where bwrap works). */
  readonly isolation?: IsolationMode;
  /** Create and follow the demo jobset of `ops/demo/`. */
  readonly demo?: boolean;
  /** Upstream binary caches asked before building. */
  readonly substituters?: readonly string[];
  /** Evaluations run at once. Default 2. */
  readonly evaluationConcurrency?: number;
  /** Wall-clock limit of one evaluation. Default 5 minutes. */
  readonly evaluationTimeoutMs?: number;
  /** Memory of one evaluation's programs (heap of the native evaluator, address space of the programs it runs). Default 2 GiB. */
  readonly evaluationMemoryBytes?: number;
  readonly logger: Logger;
  readonly version: string;
}

export interface TallyServer {
  /** The event store every part of this server talks to. */
  readonly eventstoreUrl: string;
  /** Where the HTTP API answers: `http://HOST:PORT`. */
  readonly apiUrl: string;
  /** The farm's public key, for Nix clients' `trusted-public-keys`. */
  readonly publicKey: string;
  /** The first admin token, when this start created the token file (shown once); otherwise undefined. */
  readonly firstToken?: string;
  /** The demo jobset, when `demo` was asked for. */
  readonly demo?: { readonly repository: string };
  /** Settles with the reason when a part the server cannot run without (the embedded ledger) has died. */
  readonly failed: Promise<Error>;
  stop(): Promise<void>;
}

export async function startTally(options: TallyServerOptions): Promise<TallyServer> {
  const { dataDir, logger } = options;
  await mkdir(dataDir, { recursive: true });
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const step of stops.reverse())
      await step().catch((error) => logger.error({ err: error }, 'stopping failed'));
  };
  let fail: (error: Error) => void = () => undefined;
  const failed = new Promise<Error>((resolve) => {
    fail = resolve;
  });
  // A first token made by a start that then fails is taken back: it was never printed, and the next
  // start makes (and prints) the first one only when the data directory has none.
  let unprinted: { readonly tokens: TokenStore; readonly name: string } | undefined;
  try {
    // Read while the embedded ledger opens its log on its own thread.
    const snapshots = preloadSnapshots(
      createFileSnapshotStore(join(dataDir, 'projections'), logger),
      allProjections,
    );
    const eventstoreUrl = await startEventStore(options, stops, fail);
    const eventStore = await connectEventStore(eventstoreUrl);
    stops.push(() => eventStore.close());
    const projections = createProjections(eventStore, snapshots, logger);
    stops.push(() => projections.stop());
    // The API listens while the snapshots load (a read waits for its own projection only); the farm's
    // processes start once every projection is loaded and following.
    const projectionsStarted = projections.start();
    projectionsStarted.catch(() => undefined);
    const farmKey = await loadOrCreateFarmKey(dataDir);
    const tokens = openTokenStore(dataDir);
    const firstToken = await tokens.createFirstToken('admin');
    if (firstToken) unprinted = { tokens, name: 'admin' };
    const storeDir = options.storeDir ?? join(dataDir, 'nix', 'store');
    const stateDir = join(dataDir, 'store');
    const store = await openFileStore({ storeDir, stateDir });
    const gc = startGarbageCollection(options, store, storeDir, stateDir, eventStore);
    stops.push(() => gc.stop());
    let pipelineStarted: (pipeline: Pipeline) => void = () => undefined;
    const pipelineReady = new Promise<Pipeline>((resolve) => {
      pipelineStarted = resolve;
    });
    const app = await buildTheApp(
      options,
      eventStore,
      projections,
      tokens,
      farmKey.secretKey,
      store,
      pipelineReady,
    );
    stops.push(() => app.close());
    await app.listen({ host: options.host, port: options.port });
    await projectionsStarted;
    const pipeline = await startPipeline(options, eventStore, projections, store, farmKey.secretKey, stops);
    pipelineStarted(pipeline);
    const demo = options.demo ? await startDemo(options, eventStore, pipeline) : undefined;
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    const apiUrl = `http://${options.host}:${port}`;
    // Announced like the ledger, so that `tally spec list --data DIR` finds this server.
    const announcement = serverEndpointPath(dataDir);
    await writeLedgerEndpoint(
      dataDir,
      { url: reachableUrl(options.host, port), pid: process.pid },
      announcement,
    );
    stops.push(() => removeLedgerEndpoint(dataDir, announcement));
    logger.info({ eventstore: eventstoreUrl, api: apiUrl, dataDir }, 'tally server started');
    return {
      eventstoreUrl,
      apiUrl,
      publicKey: farmKey.publicKey,
      ...(firstToken ? { firstToken } : {}),
      ...(demo ? { demo: { repository: demo } } : {}),
      failed,
      stop,
    };
  } catch (error) {
    await stop();
    await unprinted?.tokens
      .withdrawFirstToken(unprinted.name)
      .catch((again) => logger.error({ err: again }, 'taking back the unprinted first token failed'));
    throw listenProblem(error, options.host, options.port) ?? error;
  }
}

async function startEventStore(
  options: TallyServerOptions,
  stops: Array<() => Promise<unknown>>,
  fail: (error: Error) => void,
): Promise<string> {
  if (options.eventstore) return options.eventstore;
  const directory = join(options.dataDir, 'ledger');
  await mkdir(directory, { recursive: true });
  // On its own thread: the client's and the ledger's halves of every append then run side by side.
  const ledger = await startLedgerThread({
    directory,
    port: options.ledgerPort,
    logger: options.logger,
    version: options.version,
  });
  stops.push(() => ledger.close());
  ledger.ended.catch(fail);
  await writeLedgerEndpoint(options.dataDir, { url: ledger.url, pid: process.pid });
  stops.push(() => removeLedgerEndpoint(options.dataDir));
  return ledger.url;
}

/** Seeds the demo jobset and polls it at once, so its first evaluation starts with the server. */
async function startDemo(
  options: TallyServerOptions,
  events: EventStore,
  pipeline: Pipeline,
): Promise<string> {
  const repository = await seedDemo(options.dataDir, events, options.logger);
  void pipeline.poller
    .pollNow('demo')
    .catch((error: unknown) =>
      options.logger.error({ err: error }, 'the first poll of the demo failed; the poller tries again'),
    );
  return repository;
}

function createProjections(
  eventStore: EventStore,
  snapshots: SnapshotStore,
  logger: Logger,
): ProjectionRunner<TallyEvent> {
  return createProjectionRunner<TallyEvent>({
    source: eventStore,
    projections: allProjections,
    decode: decodeRecorded,
    snapshots,
    logger: logger.child({ component: 'projections' }),
  });
}

async function buildTheApp(
  options: TallyServerOptions,
  eventStore: EventStore,
  projections: ProjectionRunner,
  tokens: ReturnType<typeof openTokenStore>,
  secretKey: Awaited<ReturnType<typeof loadOrCreateFarmKey>>['secretKey'],
  store: Store,
  pipeline: Promise<Pipeline>,
): Promise<TallyApp> {
  const app = await buildApp({
    dataDir: options.dataDir,
    logger: options.logger,
    eventStore,
    projections,
    tokens,
    version: options.version,
    authExemptPrefixes: ['/cache/', '/api/hooks/'],
    logs: store,
  });
  // A webhook that arrives while the projections load is polled once the poller runs.
  const poller = {
    pollNow: (spec: string, trigger?: Parameters<Poller['pollNow']>[1]) =>
      pipeline.then(({ poller }) => poller.pollNow(spec, trigger)),
  };
  await app.register(hookRoutes, { poller, secrets: openHookSecrets(options.dataDir) });
  await app.register(evaluationLogRoutes, { dataDir: options.dataDir });
  await app.register(cacheRoutes, {
    prefix: '/cache',
    store,
    signingKey: { name: secretKey.name, secretKey },
    authorizeUpload: async (request) => {
      const token = presentedToken(request.headers.authorization);
      const actor = token === undefined ? undefined : await tokens.verify(token);
      return actor
        ? { actor }
        : {
            status: 401,
            code: 'TALLY_AUTH_MISSING_TOKEN',
            detail:
              'uploads need a token (`tally token`): `Authorization: Bearer TOKEN`, or for `nix copy --to` a netrc entry for this host whose password is the token',
          };
    },
  });
  return app;
}

/** Collects garbage whenever the store's disk runs low, one collection at a time, each recorded as events. */
function startGarbageCollection(
  options: TallyServerOptions,
  store: Store,
  storeDir: string,
  stateDir: string,
  events: EventStore,
) {
  const logger = options.logger.child({ component: 'gc' });
  return startPeriodicGc({
    checkEveryMs: options.gcCheckEveryMs ?? 5 * 60_000,
    minFreePercent: options.gcMinFreePercent ?? 10,
    freeSpace: () => freeSpaceOf(storeDir),
    collect: () =>
      collectGarbage({
        store: createFileStoreGc(store, stateDir),
        events,
        rootSource: createEventStoreRootSource(events, {}),
        gcDir: join(options.dataDir, 'gc'),
        policy: { keepEvaluations: 0, gracePeriodSeconds: 3600, dryRun: false },
      }),
    onResult: (result) =>
      result.ok
        ? logger.info({ gcId: result.value.gcId, freedBytes: result.value.freedBytes }, 'garbage collected')
        : logger.error({ err: result.error }, 'garbage collection failed; the next check tries again'),
  });
}
