/**
 * Substitution before queueing, through the coordinator's scheduler on a real ledger with a real file
 * store: outputs already valid in Tally's store, outputs in an upstream binary cache served over
 * HTTP on loopback (NARs made by the domain's serializer, imported and checked against their
 * narinfo), a cache whose NAR does not match its narinfo, and caches that are down or never answer.
 * A scripted worker is connected throughout: whatever is substituted must never reach it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createSubstituteFinder } from '../../../../adapters/pipeline/scheduler/substitutes.ts';
import { openFileStore } from '../../../../adapters/store/file-store.ts';
import type { Store } from '../../../../adapters/store/store.ts';
import { compressZstd } from '../../../../adapters/store/zstd.ts';
import {
  hashBytes,
  narBytes,
  printHash,
  printNarInfo,
  storePathBaseName,
} from '../../../../domain/derivation/index.ts';
import type { Job } from '../../../../domain/evaluation/job.ts';
import { collect, tempDir, withTimeout } from '../../../helpers/uvu.ts';
import { shDrv, type TestDrv } from '../../builders/derivations.ts';
import { type PipelineFixture, specNamed, startPipelineFixture } from '../pipeline-fixture.ts';
import { ScriptedWorker } from '../scripted-worker.ts';

/** A binary cache on loopback: whatever files the test puts in it, and every path asked for. */
interface Cache {
  readonly url: string;
  readonly files: Map<string, Uint8Array | string>;
  readonly requests: string[];
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function startCache(): Promise<Cache> {
  const files = new Map<string, Uint8Array | string>([['/nix-cache-info', 'StoreDir: /unused\n']]);
  const requests: string[] = [];
  const server = createServer((request, response) => {
    const path = request.url ?? '/';
    requests.push(path);
    const body = files.get(path);
    if (body === undefined) response.writeHead(404).end();
    else response.writeHead(200).end(body);
  });
  const url = await listen(server);
  return {
    url,
    files,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A server that takes connections and never answers: a cache that hangs. */
async function startSilentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(() => undefined);
  const url = await listen(server);
  return {
    url,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The URL of a loopback port nothing listens on. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  const url = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return url;
}

/** The NAR of a single regular file holding `text`. */
function fileNar(text: string): Uint8Array {
  const chunk = new TextEncoder().encode(text);
  return narBytes([
    { type: 'file', path: [], executable: false, size: chunk.length },
    { type: 'contents', path: [], chunk },
  ]);
}

/**
 * Puts `output` of `made` into `cache`: its narinfo, and its NAR (`served`, or the real one),
 * uncompressed or zstd-compressed. The narinfo always states the real NAR's hash and size.
 */
async function publish(
  cache: Cache,
  made: TestDrv,
  text: string,
  options: { compression?: 'none' | 'zstd'; served?: Uint8Array } = {},
): Promise<{ narHash: string; narSize: number }> {
  const nar = fileNar(text);
  const compression = options.compression ?? 'none';
  const served = options.served ?? nar;
  const body = compression === 'zstd' ? Buffer.concat(await collect(compressZstd(toAsync(served)))) : served;
  const hashPart = storePathBaseName(made.out).slice(0, 32);
  const url = `nar/${hashPart}.nar${compression === 'zstd' ? '.zst' : ''}`;
  const narHash = hashBytes('sha256', nar);
  cache.files.set(`/${url}`, body);
  cache.files.set(
    `/${hashPart}.narinfo`,
    printNarInfo({
      storePath: made.out,
      url,
      compression,
      narHash,
      narSize: nar.length,
      references: [],
      deriver: storePathBaseName(made.drvPath),
      sigs: [],
    }),
  );
  return { narHash: printHash(narHash, 'nix32', true), narSize: nar.length };
}

async function* toAsync(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

interface Context {
  dir: { path: string; cleanup(): Promise<void> };
  storeDir: string;
  store: Store;
  farm?: PipelineFixture;
  worker: ScriptedWorker;
  closers: Array<() => Promise<void>>;
  evaluations: number;
}

const test = suite<Context>('substitution before queueing');

test.before.each(async (context) => {
  context.dir = await tempDir('tally-substitutes-');
  context.storeDir = join(context.dir.path, 'nix', 'store');
  context.store = await openFileStore({
    storeDir: context.storeDir,
    stateDir: join(context.dir.path, 'state'),
  });
  context.closers = [];
  context.evaluations = 0;
  context.farm = undefined;
});

test.after.each(async (context) => {
  await context.farm?.stop();
  for (const close of context.closers.reverse()) await close();
  await context.dir.cleanup();
});

/** The farm with a substitute finder over the test's store and `upstreams`, and a worker connected. */
async function startFarm(context: Context, upstreams: readonly string[], timeoutMs = 10_000) {
  const substitutes = createSubstituteFinder({ store: context.store, upstreams, timeoutMs });
  context.farm = await startPipelineFixture({ substitutes });
  await context.farm.registerSpec(specNamed('subst'));
  context.worker = new ScriptedWorker('w1', { maxJobs: 4 });
  await context.farm.dispatcher.addWorker('w1', context.worker.connect);
  return context.farm;
}

const jobOf = (made: TestDrv): Job => ({
  name: made.drv.name,
  system: 'x86_64-linux',
  drvPath: made.drvPath,
  outputs: { out: made.out },
});

/** Records a completed evaluation of `made` and waits until every build has left the queue or reached a worker. */
async function evaluate(context: Context, made: readonly TestDrv[]): Promise<void> {
  const farm = context.farm!;
  await farm.completeEvaluation('subst', `subst-${++context.evaluations}`, made.map(jobOf));
  await farm.until(
    () =>
      made.every((each) => ['substituted', 'dispatched'].includes(farm.build(each.drvPath)?.status ?? '')),
    'every build substituted or dispatched',
  );
  await farm.coordinator.idle();
}

const typesOf = async (farm: PipelineFixture, drvPath: string) =>
  (await farm.buildEvents(drvPath)).map((event) => event.type);

const substitutedData = async (farm: PipelineFixture, drvPath: string) => {
  const event = (await farm.buildEvents(drvPath)).find((each) => each.type === 'BuildSubstituted');
  return event?.data as { from: string; outputs: Array<{ path: string; narHash: string; narSize: number }> };
};

const dispatched = (context: Context) => context.worker.assignments.map((assignment) => assignment.drvPath);

test(
  "substitutes from Tally's own store a derivation whose outputs are already valid there",
  withTimeout(20_000, async (context) => {
    const farm = await startFarm(context, []);
    const present = shDrv(context.storeDir, { name: 'present', script: 'echo built > $out' });
    const absent = shDrv(context.storeDir, { name: 'absent', script: 'echo built > $out' });
    await writeFile(present.out, 'built\n');
    const valid = await context.store.addFromDirectory({ path: present.out, references: [] });

    await evaluate(context, [present, absent]);
    assert.equal(await typesOf(farm, present.drvPath), ['BuildQueued', 'BuildSubstituted']);
    const substituted = await substitutedData(farm, present.drvPath);
    assert.is(substituted.from, 'local');
    assert.equal(substituted.outputs, [
      { name: 'out', path: present.out, narHash: valid.narHash, narSize: valid.narSize, references: [] },
    ]);
    assert.is(farm.build(present.drvPath)?.status, 'substituted');
    assert.equal(dispatched(context), [absent.drvPath], 'only the build with no outputs reached the worker');
  }),
);

test(
  'restarts a build whose outputs the collector removed when an evaluation wants it again; what needs it waits',
  withTimeout(20_000, async (context) => {
    const farm = await startFarm(context, []);
    const kept = shDrv(context.storeDir, { name: 'kept', script: 'echo built > $out' });
    await writeFile(kept.out, 'built\n');
    await context.store.addFromDirectory({ path: kept.out, references: [] });
    await evaluate(context, [kept]);
    assert.is(farm.build(kept.drvPath)?.status, 'substituted');

    // As garbage collection does: invalid, then deleted.
    await context.store.remove(kept.out);
    const needs = shDrv(context.storeDir, { name: 'needs-kept', script: 'cat $in > $out', inputs: [kept] });
    await farm.completeEvaluation('subst', `subst-${++context.evaluations}`, [jobOf(kept), jobOf(needs)]);
    await farm.until(
      () => farm.build(kept.drvPath)?.status === 'dispatched' && farm.build(needs.drvPath) !== undefined,
      'brought back and sent to the worker, its dependent recorded',
    );
    await farm.coordinator.idle();
    const restart = (await farm.buildEvents(kept.drvPath)).find((event) => event.type === 'BuildRestarted');
    assert.match(String((restart?.data as { why?: string })?.why), /outputs were collected from the store/);
    assert.is(restart?.metadata.actor, 'scheduler');
    assert.equal(dispatched(context), [kept.drvPath], 'what needs it waits for it');

    context.worker.succeed(context.worker.assignments[0]!);
    await farm.until(
      () => farm.build(needs.drvPath)?.status === 'dispatched',
      'the dependent sent once it is built',
    );
  }),
);

test(
  'imports outputs from an upstream cache, checked against their narinfo, and substitutes from its URL',
  withTimeout(20_000, async (context) => {
    const cache = await startCache();
    context.closers.push(cache.close);
    const farm = await startFarm(context, [`${cache.url}/`]);
    const plain = shDrv(context.storeDir, { name: 'upstream-plain', script: 'echo plain > $out' });
    const packed = shDrv(context.storeDir, { name: 'upstream-zstd', script: 'echo packed > $out' });
    const missing = shDrv(context.storeDir, { name: 'upstream-missing', script: 'echo x > $out' });
    const plainNar = await publish(cache, plain, 'from the cache\n');
    const packedNar = await publish(cache, packed, 'compressed in the cache\n', { compression: 'zstd' });

    await evaluate(context, [plain, packed, missing]);
    for (const [made, nar, text] of [
      [plain, plainNar, 'from the cache\n'],
      [packed, packedNar, 'compressed in the cache\n'],
    ] as const) {
      assert.equal(await typesOf(farm, made.drvPath), ['BuildQueued', 'BuildSubstituted']);
      const substituted = await substitutedData(farm, made.drvPath);
      assert.is(substituted.from, `${cache.url}/`);
      assert.equal(substituted.outputs[0], { name: 'out', path: made.out, ...nar, references: [] });
      const imported = await context.store.info(made.out);
      assert.is(imported?.narHash, nar.narHash, 'the store recorded the NAR hash the narinfo stated');
      assert.is(imported?.deriver, made.drvPath);
      assert.is(await readFile(made.out, 'utf8'), text, 'the output is unpacked in the store directory');
    }
    assert.ok(cache.requests.includes(`/${storePathBaseName(packed.out).slice(0, 32)}.narinfo`));
    assert.ok(cache.requests.some((path) => path.endsWith('.nar.zst')));
    assert.equal(await typesOf(farm, missing.drvPath), ['BuildQueued', 'BuildDispatched']);
    assert.equal(dispatched(context), [missing.drvPath]);
  }),
);

test(
  'refuses a cache whose NAR does not match its narinfo and queues the build as usual',
  withTimeout(20_000, async (context) => {
    const cache = await startCache();
    context.closers.push(cache.close);
    const farm = await startFarm(context, [cache.url]);
    const tampered = shDrv(context.storeDir, { name: 'tampered', script: 'echo real > $out' });
    // A well-formed NAR of the same size as the one the narinfo describes, one letter of content changed.
    const forged = fileNar('what the narinfo promised\n');
    const letter = Buffer.from(forged).indexOf('promised');
    forged[letter] = forged[letter]! ^ 1;
    await publish(cache, tampered, 'what the narinfo promised\n', { served: forged });

    await evaluate(context, [tampered]);
    assert.ok(
      cache.requests.some((path) => path.startsWith('/nar/')),
      'the NAR was downloaded and checked',
    );
    assert.equal(await typesOf(farm, tampered.drvPath), ['BuildQueued', 'BuildDispatched']);
    assert.equal(dispatched(context), [tampered.drvPath]);
    assert.not.ok(await context.store.has(tampered.out), 'nothing of the forged NAR is valid');
    assert.is(
      await readFile(tampered.out).catch(() => undefined),
      undefined,
      'nothing is left in the store directory',
    );
  }),
);

test(
  'schedules past a cache that is down and one that never answers',
  withTimeout(20_000, async (context) => {
    const cache = await startCache();
    context.closers.push(cache.close);
    const silent = await startSilentServer();
    context.closers.push(silent.close);
    const down = await closedPortUrl();
    const farm = await startFarm(context, [down, silent.url, cache.url], 500);
    const cached = shDrv(context.storeDir, { name: 'cached-elsewhere', script: 'echo c > $out' });
    const nowhere = shDrv(context.storeDir, { name: 'nowhere', script: 'echo n > $out' });
    const nar = await publish(cache, cached, 'cached\n');

    const started = Date.now();
    await evaluate(context, [cached, nowhere]);
    assert.ok(Date.now() - started < 10_000, 'each cache that does not answer costs its timeout, no more');
    const substituted = await substitutedData(farm, cached.drvPath);
    assert.is(substituted.from, cache.url, 'the first cache that has the outputs is used');
    assert.is(substituted.outputs[0]?.narHash, nar.narHash);
    assert.equal(await typesOf(farm, nowhere.drvPath), ['BuildQueued', 'BuildDispatched']);
    assert.equal(dispatched(context), [nowhere.drvPath]);
  }),
);

test.run();
