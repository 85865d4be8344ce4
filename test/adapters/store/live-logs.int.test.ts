/**
 * Logs written while their build runs: readable at once, followed until closed, compressed into
 * place on close, and never lost when a crash leaves them unfinished.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { rejects, withTimeout } from '../../helpers/uvu.ts';
import { createStoreFixture, type StoreFixture } from './store-fixtures.ts';

const text = (value: string) => new TextEncoder().encode(value);

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString();
}

/** Resolves once `check` holds, trying every 10 ms; fails after `ms`. */
async function until(check: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('the condition never held');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const logs = suite<{ fixture: StoreFixture; drv: string; dir: string }>('live build logs in the file store');

logs.before.each(async (context) => {
  context.fixture = await createStoreFixture('tally-live-log-');
  context.drv = `${context.fixture.storeDir}/${'b'.repeat(32)}-hello.drv`;
  context.dir = join(context.fixture.stateDir, 'logs', `${'b'.repeat(32)}-hello.drv`);
});
logs.after.each(async ({ fixture }) => fixture.cleanup());

logs(
  'serves appended bytes at once as the live latest log, then the compressed one after close',
  withTimeout(10_000, async ({ fixture, drv, dir }) => {
    await fixture.store.writeLog(
      drv,
      1,
      (async function* () {
        yield text('first attempt\n');
      })(),
    );
    const log = await fixture.store.openLog(drv, 2);
    log.append(text('line one\n'));
    await until(async () => (await readAll((await fixture.store.readLog(drv))!.stream)) === 'line one\n');
    const during = await fixture.store.readLog(drv);
    assert.is(during?.attempt, 2, 'the live attempt is the latest');
    assert.is(during?.live, true);
    during?.stream.destroy();
    log.append(text('line two\n'));
    assert.is(log.bytes, 18);
    assert.is(await log.close(), 18);
    assert.equal((await readdir(dir)).sort(), ['1.gz', '2.gz']);
    assert.is(gunzipSync(await readFile(join(dir, '2.gz'))).toString(), 'line one\nline two\n');
    const after = await fixture.store.readLog(drv);
    assert.is(after?.live, false);
    assert.is(await readAll(after!.stream), 'line one\nline two\n');
    assert.is(await readAll((await fixture.store.readLog(drv, 1))!.stream), 'first attempt\n');
  }),
);

logs(
  'follows a live log as it grows and ends when it is closed',
  withTimeout(10_000, async ({ fixture, drv }) => {
    const log = await fixture.store.openLog(drv, 1);
    log.append(text('before\n'));
    const followed = await fixture.store.readLog(drv, 1, { follow: true, pollMs: 20 });
    assert.is(followed?.live, true);
    const received: string[] = [];
    const reading = (async () => {
      for await (const chunk of followed!.stream) received.push(Buffer.from(chunk).toString());
    })();
    await until(async () => received.join('') === 'before\n');
    log.append(text('during\n'));
    await until(async () => received.join('') === 'before\nduring\n');
    log.append(text('at the end\n'));
    await log.close();
    await reading;
    assert.is(received.join(''), 'before\nduring\nat the end\n', 'nothing written before close is missed');
  }),
);

logs(
  'keeps a log a crash left unfinished: readable, not followed for ever, compressed by the next attempt',
  withTimeout(10_000, async ({ fixture, drv, dir }) => {
    const log = await fixture.store.openLog(drv, 1);
    log.append(text('written before the crash\n'));
    await until(async () => (await readFile(join(dir, '1.live'), 'utf8')).length > 0);
    // A new process opens the store: nothing writes the live file any more.
    const restarted = await fixture.reopen();
    const left = await restarted.readLog(drv, undefined, { follow: true, pollMs: 20 });
    assert.is(left?.live, true);
    assert.is(await readAll(left!.stream), 'written before the crash\n');
    const second = await restarted.openLog(drv, 2);
    assert.equal((await readdir(dir)).sort(), ['1.gz', '2.live']);
    assert.is(await readAll((await restarted.readLog(drv, 1))!.stream), 'written before the crash\n');
    second.append(text('retried\n'));
    assert.is(await second.close(), 8);
    await log.abort();
  }),
);

logs(
  'leaves an aborted log readable as it was and refuses to open one attempt twice',
  withTimeout(10_000, async ({ fixture, drv, dir }) => {
    const log = await fixture.store.openLog(drv, 1);
    await rejects(fixture.store.openLog(drv, 1), /already being logged/);
    log.append(text('partial\n'));
    await log.abort();
    log.append(text('ignored\n'));
    assert.equal(await readdir(dir), ['1.live']);
    const kept = await fixture.store.readLog(drv);
    assert.is(await readAll(kept!.stream), 'partial\n');
    const reopened = await fixture.store.openLog(drv, 1);
    assert.is(reopened.bytes, 8, 'a reopened attempt continues its log');
    reopened.append(text('resumed\n'));
    await reopened.close();
    assert.is(await readAll((await fixture.store.readLog(drv))!.stream), 'partial\nresumed\n');
  }),
);

logs.run();
