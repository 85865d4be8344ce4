/**
 * `tally serve --eventstore URL --host H --port P`: the server on a store it did not start (here a
 * `tally ledger serve` of its own), answering on the host and port asked for, its data directory
 * holding everything but the events.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectEventStore } from '../../adapters/eventstore/esdb-event-store.ts';
import { tokenFileName } from '../../api/auth/token-store.ts';
import { freePort } from '../../ops/bench/harness/net.ts';
import { drv, queueBuild, streamOf } from '../api/command-seed.ts';
import { type RunningFarm, startFarm } from '../helpers/farm.ts';
import { finished, lineMatching, startTally } from '../helpers/tally-process.ts';
import { tempDir, withTimeout } from '../helpers/uvu.ts';

/** Processes a test started; whatever still runs after it (a timeout, a failed assertion) is killed. */
const test = suite<{ children: ChildProcess[] }>('tally serve --eventstore', { children: [] });
test.after(({ children }) => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

const spec = {
  name: 'elsewhere',
  channels: [{ name: 'main', url: 'https://example.org/elsewhere.git', branch: 'main' }],
  evaluator: { kind: 'nix', entry: 'release.nix' },
  systems: ['x86_64-linux'],
};

test(
  'writes to and reads from the external store, answers on the given host and port, and leaves the store running',
  withTimeout(90_000, async ({ children }) => {
    const ledgerDir = await tempDir('tally-ext-ledger-');
    const dataDir = await tempDir('tally-ext-serve-');
    const ledger = startTally(['ledger', 'serve', '--data', ledgerDir.path, '--port', '0']);
    children.push(ledger);
    const ledgerDone = finished(ledger);
    let farm: RunningFarm | undefined;
    try {
      const listening = await lineMatching(ledger, (line) => line.includes('ledger listening'));
      const { url } = JSON.parse(listening) as { url: string };
      const port = await freePort();
      // startFarm passes `--port 0` first; the last --port given is the one that counts.
      farm = await startFarm(dataDir.path, [
        '--eventstore',
        url,
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
      ]);
      children.push(farm.child);
      const api = `http://127.0.0.1:${port}`;
      assert.is(farm.eventstore, url);
      assert.is(farm.api, api);
      assert.ok(farm.stderr().includes(`event store: ${url}\n`), farm.stderr());
      assert.is((await fetch(`${api}/healthz`)).status, 200);
      assert.ok(existsSync(join(dataDir.path, tokenFileName)), 'the tokens live in the data directory');
      assert.not.ok(existsSync(join(dataDir.path, 'ledger')), 'no embedded ledger was started');
      assert.not.ok(existsSync(join(dataDir.path, 'ledger.json')), 'no embedded ledger was announced');

      const registered = await fetch(`${api}/api/specs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${farm.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(spec),
      });
      assert.is(registered.status, 201, await registered.text());
      const store = await connectEventStore(url);
      let hash: string;
      try {
        const written = await streamOf(store, 'spec-elsewhere');
        assert.equal(
          written.map((event) => [event.type, event.metadata.actor]),
          [['SpecificationRegistered', 'user:admin']],
        );
        // Queued in the external store behind the server's back: cancelling it is only possible if
        // the server decides from that store.
        hash = await queueBuild(store, drv('s'));
      } finally {
        await store.close();
      }
      const cancel = await fetch(`${api}/api/builds/${hash}/cancel`, {
        method: 'POST',
        headers: { authorization: `Bearer ${farm.token}` },
      });
      assert.is(cancel.status, 200, await cancel.text());
      const build = (await (await fetch(`${api}/api/builds/${hash}`)).json()) as { status: string };
      assert.is(build.status, 'cancelled');

      assert.is(await farm.stop(), 0, farm.stderr());
      farm = undefined;
      const after = await connectEventStore(url);
      const types = (await streamOf(after, `build-${hash}`)).map((event) => event.type);
      await after.close();
      assert.equal(types, ['BuildQueued', 'BuildCancelled'], 'the store outlives the server');
      ledger.kill('SIGTERM');
      assert.is((await ledgerDone).code, 0);
    } finally {
      await farm?.kill();
      ledger.kill('SIGTERM');
      await ledgerDone;
      await ledgerDir.cleanup();
      await dataDir.cleanup();
    }
  }),
);

test.run();
