import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { GcLockedError } from '../../../adapters/gc/gc-dir.ts';
import { staticRootSource } from '../../../adapters/gc/root-source.ts';
import { verifyStore } from '../../../adapters/store/verify.ts';
import { rejects, withTimeout } from '../../helpers/uvu.ts';
import { createGcFixture, type GcFixture, now } from './gc-fixture.ts';

// 0 ← 1 ← 2 (2 refers to 1, 1 to 0), 3 → 0, 4 alone, 5 → 5 (itself).
const graph = [{}, { references: [0] }, { references: [1] }, { references: [0] }, {}, { references: [5] }];

const test = suite<{ f: GcFixture }>('collectGarbage');
test.after.each(async ({ f }) => {
  await f?.cleanup();
});

test(
  'keeps the closure of a root and removes every other old path, content included',
  withTimeout(10_000, async (context) => {
    const f = await createGcFixture(graph);
    context.f = f;
    const summary = await f.gc({}, { roots: staticRootSource([f.paths[2]!]) });
    assert.equal(await f.validIndices(), [0, 1, 2]);
    assert.is(summary.pathCount, 3);
    assert.is(summary.liveCount, 3);
    assert.equal(
      await f.storeEntries(),
      [f.paths[0]!, f.paths[1]!, f.paths[2]!].map((p) => p.slice(f.storeDir.length + 1)).sort(),
    );
    const verified = await verifyStore(f.store);
    assert.equal(verified.problems, []);
    assert.is(verified.checked, 3);
  }),
);

test(
  'keeps a pinned path and what it refers to',
  withTimeout(10_000, async (context) => {
    const f = await createGcFixture(graph);
    context.f = f;
    await f.store.addRoot('pinned', f.paths[3]!);
    await f.gc();
    assert.equal(await f.validIndices(), [0, 3]);
  }),
);

test(
  'keeps paths younger than the grace period, with their closures',
  withTimeout(10_000, async (context) => {
    const young = graph.map((p, index) => (index === 2 ? { ...p, registeredAt: now - 60_000 } : p));
    const f = await createGcFixture(young);
    context.f = f;
    await f.gc({ gracePeriodSeconds: 3600 });
    assert.equal(await f.validIndices(), [0, 1, 2]);
    await f.gc({ gracePeriodSeconds: 30 });
    assert.equal(await f.validIndices(), []);
  }),
);

test(
  'records GcStarted, the chunks in order with referrers before their references, and GcFinished with their totals',
  withTimeout(10_000, async (context) => {
    const f = await createGcFixture(graph);
    context.f = f;
    const summary = await f.gc({}, { gcId: 'g1', chunkPaths: 2 });
    const events = await f.stream('g1');
    assert.equal(
      events.map((e) => e.type),
      ['GcStarted', 'GcPathsCollected', 'GcPathsCollected', 'GcPathsCollected', 'GcFinished'],
    );
    assert.equal(events[0]!.data.policy, { keepEvaluations: 1, gracePeriodSeconds: 3600, dryRun: false });
    const chunks = events
      .slice(1, 4)
      .map((e) => e.data as { chunk: number; paths: { path: string; bytes: number }[] });
    assert.equal(
      chunks.map((c) => c.chunk),
      [0, 1, 2],
    );
    const order = chunks.flatMap((c) => c.paths.map((p) => f.paths.indexOf(p.path)));
    assert.is(order.length, 6);
    const before = (a: number, b: number) => order.indexOf(a) < order.indexOf(b);
    assert.ok(before(2, 1) && before(1, 0) && before(3, 0), `referrers first: ${order}`);
    const bytes = chunks.flatMap((c) => c.paths).reduce((sum, p) => sum + p.bytes, 0);
    assert.equal(events[4]!.data, { gcId: 'g1', freedBytes: bytes, pathCount: 6 });
    assert.is(summary.freedBytes, bytes);
  }),
);

test(
  'a dry run records what it would free and changes nothing',
  withTimeout(10_000, async (context) => {
    const f = await createGcFixture(graph);
    context.f = f;
    const entries = await f.storeEntries();
    const summary = await f.gc({ dryRun: true }, { gcId: 'dry' });
    assert.is(summary.pathCount, 6);
    assert.equal(await f.validIndices(), [0, 1, 2, 3, 4, 5]);
    assert.equal(await f.storeEntries(), entries);
    const events = await f.stream('dry');
    assert.is(events[0]!.type, 'GcStarted');
    assert.is((events[0]!.data.policy as { dryRun: boolean }).dryRun, true);
    assert.equal(events.at(-1), {
      type: 'GcFinished',
      data: { gcId: 'dry', freedBytes: summary.freedBytes, pathCount: 6 },
    });
    assert.ok(summary.freedBytes > 0);
  }),
);

test(
  'stops within the byte limit, oldest first',
  withTimeout(10_000, async (context) => {
    const f = await createGcFixture([{}, {}, {}, {}]);
    context.f = f;
    const dry = await f.gc({ dryRun: true });
    const each = dry.freedBytes / 4;
    const summary = await f.gc({ maxFreedBytes: Math.floor(each * 2.5) }, { gcId: 'limited' });
    assert.is(summary.pathCount, 2);
    assert.ok(summary.freedBytes <= each * 2.5);
    assert.equal(await f.validIndices(), [2, 3]);
    const events = await f.stream('limited');
    assert.is(events.at(-1)!.type, 'GcFinished');
  }),
);

test(
  'refuses to run while another collection holds the lock',
  withTimeout(10_000, async (context) => {
    const f = await createGcFixture(graph);
    context.f = f;
    let release: () => void = () => undefined;
    let entered: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const slowRoots = {
      async liveRoots() {
        entered();
        await held;
        return [];
      },
    };
    const first = f.gc({}, { roots: slowRoots, gcId: 'first' });
    await inside;
    await rejects(f.gc({}, { gcId: 'second' }), (e) => e instanceof GcLockedError && e.gcId === 'first');
    release();
    assert.is((await first).pathCount, 6);
    assert.equal(await f.stream('second'), []);
  }),
);

test.run();
