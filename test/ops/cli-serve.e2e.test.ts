/**
 * `tally serve`, what `npm start` runs: the server with its embedded event store in a data directory,
 * stopped by SIGTERM and started again on the same directory without losing anything.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectEventStore } from '../../adapters/eventstore/esdb-event-store.ts';
import { finished, lineMatching, startTally, tally } from '../helpers/tally-process.ts';
import { tempDir, withTimeout } from '../helpers/uvu.ts';

const test = suite('tally serve');

async function serveUntilStarted(dataDir: string) {
  const child = startTally(['serve', '--data', dataDir, '--ledger-port', '0', '--port', '0']);
  const started = lineMatching(child, (line) => line.includes('tally server started'));
  const done = finished(child);
  const { eventstore, api } = JSON.parse(await started) as { eventstore: string; api: string };
  return { child, done, eventstore, api };
}

test(
  'keeps its events in the data directory across a clean stop and a restart',
  withTimeout(30_000, async () => {
    const dir = await tempDir('tally-serve-');
    try {
      const first = await serveUntilStarted(dir.path);
      const announced = JSON.parse(readFileSync(join(dir.path, 'ledger.json'), 'utf8')) as { url: string };
      assert.is(announced.url, first.eventstore);
      const store = await connectEventStore(first.eventstore);
      await store.append(
        'spec-demo',
        [{ type: 'SpecificationRegistered', data: { name: 'demo' } }],
        'no_stream',
      );
      await store.close();
      first.child.kill('SIGTERM');
      const stopped = await first.done;
      assert.is(stopped.code, 0, stopped.stderr);
      assert.not.ok(
        existsSync(join(dir.path, 'ledger.json')),
        'the endpoint file is removed on a clean stop',
      );

      const second = await serveUntilStarted(dir.path);
      const again = await connectEventStore(second.eventstore);
      const types: string[] = [];
      for await (const event of again.readStream('spec-demo')) types.push(event.type);
      await again.close();
      second.child.kill('SIGTERM');
      assert.is((await second.done).code, 0);
      assert.equal(types, ['SpecificationRegistered']);
    } finally {
      await dir.cleanup();
    }
  }),
);

test(
  'serves the API and the binary cache, and prints the admin token only at first start',
  withTimeout(30_000, async () => {
    const dir = await tempDir('tally-serve-');
    let first: Awaited<ReturnType<typeof serveUntilStarted>> | undefined;
    try {
      first = await serveUntilStarted(dir.path);
      const health = await fetch(`${first.api}/healthz`);
      assert.is(health.status, 200);
      const cacheInfo = await (await fetch(`${first.api}/cache/nix-cache-info`)).text();
      assert.match(cacheInfo, /StoreDir: /);
      const refused = await fetch(`${first.api}/api/tokens-or-anything`, { method: 'POST' });
      assert.ok(refused.status === 401 || refused.status === 404);
      // An upload authenticates as `nix copy --to` sends a netrc entry: HTTP Basic, the token as password.
      const created = await tally(['token', 'create', 'uploader', '--data', dir.path]);
      const token = /\S{20,}/.exec(created.stdout)?.[0];
      assert.ok(token, created.stdout + created.stderr);
      const { api } = first;
      const upload = (password: string) =>
        fetch(`${api}/cache/${'a'.repeat(32)}.narinfo`, {
          method: 'PUT',
          headers: { authorization: `Basic ${Buffer.from(`nix:${password}`).toString('base64')}` },
          body: 'not a narinfo',
        });
      const wrong = await upload('wrong');
      assert.is(wrong.status, 401);
      const basic = await upload(token);
      assert.is.not(basic.status, 401, await basic.text());
      first.child.kill('SIGTERM');
      const stopped = await first.done;
      assert.is(stopped.code, 0, stopped.stderr);
      assert.match(stopped.stderr, /admin token: \S+/);
      assert.match(stopped.stderr, /trusted-public-keys = \S+:\S+/);

      const second = await serveUntilStarted(dir.path);
      second.child.kill('SIGTERM');
      const again = await second.done;
      assert.is(again.code, 0);
      assert.not.match(again.stderr, /admin token:/);
    } finally {
      // Stopped already when every assertion held; after a failed one, not left running.
      first?.child.kill('SIGKILL');
      await dir.cleanup();
    }
  }),
);

test(
  'refuses to start twice on one data directory, saying what to do',
  withTimeout(30_000, async () => {
    const dir = await tempDir('tally-serve-');
    try {
      const first = await serveUntilStarted(dir.path);
      const second = await tally(['serve', '--data', dir.path, '--ledger-port', '0', '--port', '0']);
      assert.is(second.code, 1);
      assert.match(second.stderr, /already running.*stop it first/);
      assert.match(second.stderr, /TALLY_CLI_LEDGER_RUNNING/);
      first.child.kill('SIGTERM');
      assert.is((await first.done).code, 0);
    } finally {
      await dir.cleanup();
    }
  }),
);

test(
  'refuses --isolation bwrap where bwrap cannot run, saying what to do, and records nothing',
  withTimeout(30_000, async () => {
    const dir = await tempDir('tally-serve-');
    try {
      const refused = await tally(
        ['serve', '--data', dir.path, '--ledger-port', '0', '--port', '0', '--isolation', 'bwrap'],
        { PATH: dir.path },
      );
      assert.is(refused.code, 1);
      assert.match(refused.stderr, /TALLY_CLI_ISOLATION_UNAVAILABLE/);
      assert.match(refused.stderr, /bwrap is not installed.*--isolation auto/);
      assert.not.ok(existsSync(join(dir.path, 'ledger')), 'no ledger was created');
    } finally {
      await dir.cleanup();
    }
  }),
);

test.run();
