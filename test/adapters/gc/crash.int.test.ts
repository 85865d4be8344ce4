import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { verifyStore } from '../../../adapters/store/verify.ts';
import { withTimeout } from '../../helpers/uvu.ts';
import { createGcFixture, type GcFixture } from './gc-fixture.ts';

const count = 6000;
// A chain of references every tenth path (so order matters), the rest alone; 1,000 pinned.
const spec = Array.from({ length: count }, (_, index) => ({
  references: index % 10 !== 0 && index > 0 ? [index - 1] : [],
}));

const test = suite<{ f?: GcFixture }>('collectGarbage killed mid-deletion');
test.after.each(async ({ f }) => {
  await f?.cleanup();
});

/** Runs a collection in a child process and SIGKILLs it at the `nth` line `at` it prints. */
async function killCollection(
  f: GcFixture,
  at: 'unregistering' | 'deleting',
  nth: number,
  sizes: { chunkPaths: number; roundPaths: number },
): Promise<void> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      new URL('./gc-crash-child.ts', import.meta.url).pathname,
      f.storeDir,
      f.stateDir,
      f.gcDir,
      f.ledger.ledger.url,
      'killed',
      String(sizes.chunkPaths),
      String(sizes.roundPaths),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = once(child, 'exit');
  let seen = 0;
  for await (const line of createInterface({ input: child.stdout! })) {
    if (line === 'finished') assert.unreachable('the collection ended before it was killed');
    if (line === at && ++seen === nth) {
      child.kill('SIGKILL');
      break;
    }
  }
  const [, signal] = await exited;
  assert.is(signal, 'SIGKILL');
}

/** Every registered path has its content and its references; then the next collection recovers. */
async function assertConsistentThenRecovered(f: GcFixture): Promise<void> {
  const store = await f.reopen();
  const infos = [];
  for await (const info of store.list()) infos.push(info);
  for (const info of infos) {
    for (const reference of info.references) assert.ok(await store.has(reference), `${reference} is missing`);
  }
  assert.equal((await verifyStore(store)).problems, []);
  assert.ok(infos.length < count && infos.length > 1000, `${infos.length} left`);
  const entries = (await readdir(f.storeDir)).length;
  assert.ok(entries > infos.length, 'the kill left unregistered content to clean up');
  const interrupted = await f.stream('killed');
  assert.is(interrupted[0]!.type, 'GcStarted');
  assert.not.ok(interrupted.some((e) => e.type === 'GcFinished' || e.type === 'GcFailed'));

  const summary = await f.gc({ gracePeriodSeconds: 0 }, { gcId: 'next' });
  assert.is(summary.recovered, 'killed');
  const after = await f.stream('killed');
  assert.equal(after.at(-1)!.type, 'GcFailed');
  assert.is(after.at(-1)!.data.reason, 'interrupted');
  const chunks = after.filter((e) => e.type === 'GcPathsCollected');
  assert.equal(
    chunks.map((e) => e.data.chunk),
    chunks.map((_, index) => index),
    'chunks recorded in order, none twice',
  );
  const collected = chunks.flatMap((e) => (e.data as { paths: unknown[] }).paths).length;
  assert.is(collected + summary.pathCount, count - 1000, 'every removed path is recorded once');
  assert.is((await f.stream('next')).at(-1)!.type, 'GcFinished');
  assert.is((await readdir(f.storeDir)).length, 1000);
  const verified = await verifyStore(await f.reopen());
  assert.equal(verified.problems, []);
  assert.is(verified.checked, 1000);
}

async function pinnedFixture(context: { f?: GcFixture }): Promise<GcFixture> {
  const f = await createGcFixture(spec);
  context.f = f;
  for (let index = count - 1000; index < count; index++)
    await f.store.addRoot(`pin-${index}`, f.paths[index]!);
  return f;
}

test(
  'killed while deleting the content of a chunk: a consistent store; the next collection deletes the leftovers and ends the first as interrupted',
  withTimeout(120_000, async (context) => {
    const f = await pinnedFixture(context);
    await killCollection(f, 'deleting', 2, { chunkPaths: 1500, roundPaths: 1500 });
    await assertConsistentThenRecovered(f);
  }),
);

test(
  'killed while unregistering the third chunk of a round: registered paths keep their references, and recovery records the unregistered chunks in order',
  withTimeout(120_000, async (context) => {
    const f = await pinnedFixture(context);
    await killCollection(f, 'unregistering', 3, { chunkPaths: 500, roundPaths: 3000 });
    await assertConsistentThenRecovered(f);
  }),
);

test(
  'killed while deleting the content of a round of several chunks: the next collection finishes it',
  withTimeout(120_000, async (context) => {
    const f = await pinnedFixture(context);
    await killCollection(f, 'deleting', 1, { chunkPaths: 500, roundPaths: 3000 });
    await assertConsistentThenRecovered(f);
  }),
);

test.run();
