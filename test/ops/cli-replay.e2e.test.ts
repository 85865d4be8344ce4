/**
 * `tally replay --verify` against what a real `tally serve` left in its data directory: the snapshots
 * saved at a clean stop are identical to a replay; a tampered snapshot is named and fails the run.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectEventStore } from '../../adapters/eventstore/esdb-event-store.ts';
import { streams } from '../../domain/shared/streams.ts';
import { parseReplaySummary } from '../../ops/bench/core/replay-command.ts';
import { workerJoins } from '../api/read-fixture.ts';
import { finished, lineMatching, startTally, tally } from '../helpers/tally-process.ts';
import { tempDir, withTimeout } from '../helpers/uvu.ts';
import { drv, FarmHistory, job } from '../projections/fixtures/farm-history.ts';

const test = suite('tally replay --verify');

function farmHistory() {
  const farm = new FarmHistory();
  for (const event of workerJoins('w1')) farm.record(streams.worker('w1'), event);
  farm.registerSpec('guix');
  const evaluation = farm.evaluate('guix', [job('hello'), job('zlib'), job('curl')]);
  farm.scheduleBuilds(evaluation);
  farm.build(drv('hello-1.0'), 'succeeded');
  farm.build(drv('zlib-1.0'), 'failed');
  return farm.events;
}

/** Resolves once the API answers as of `position`: the projections have folded every appended event. */
async function caughtUp(api: string, position: number): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    const response = await fetch(`${api}/api/queue`);
    if (Number(response.headers.get('x-tally-position')) >= position) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`the API never reached position ${position}`);
}

test(
  'finds every snapshot identical after a clean stop, and names a tampered one',
  withTimeout(60_000, async () => {
    const dir = await tempDir('tally-replay-');
    try {
      const child = startTally(['serve', '--data', dir.path, '--ledger-port', '0', '--port', '0']);
      const started = lineMatching(child, (line) => line.includes('tally server started'));
      const done = finished(child);
      const { eventstore, api } = JSON.parse(await started) as { eventstore: string; api: string };
      const store = await connectEventStore(eventstore);
      let last = -1;
      const history = farmHistory();
      for (const { streamId, event, metadata } of history) {
        const result = await store.append(
          streamId,
          [{ type: event.type, data: event.data as unknown, metadata: { ...metadata } }],
          'any',
        );
        last = result.position;
      }
      await store.close();
      await caughtUp(api, last);
      child.kill('SIGTERM');
      assert.is((await done).code, 0);

      const clean = await tally(['replay', '--verify', '--data', dir.path]);
      assert.is(clean.code, 0, clean.stderr + clean.stdout);
      for (const name of ['queue', 'workers', 'metrics', 'jobsets', 'evaluations', 'builds'])
        assert.match(clean.stdout, new RegExp(`^${name}\\s+identical`, 'm'));
      // The core bench reads the command's own figures from this line.
      const summary = parseReplaySummary(clean.stdout);
      assert.ok(summary, clean.stdout);
      assert.ok(summary.events >= history.length, `${summary.events} events of ${history.length} appended`);
      assert.is(summary.skipped, 0);
      assert.ok(summary.projections >= 7 && summary.eventsPerSecond > 0, clean.stdout);

      // A small state is one record: `[3, state]` between the header and the trailer.
      const file = join(dir.path, 'projections', 'workers.jsonl');
      const [header, record, trailer] = (await readFile(file, 'utf8')).split('\n');
      const [kind, state] = JSON.parse(record!) as [number, Record<string, unknown>];
      assert.is(kind, 3, record);
      await writeFile(file, [header, JSON.stringify([3, { ...state, lastAt: 42 }]), trailer, ''].join('\n'));
      const tampered = await tally(['replay', '--verify', '--data', dir.path]);
      assert.is(tampered.code, 1, tampered.stderr);
      assert.match(tampered.stdout, /^workers\s+DIFFERS/m);
      assert.match(tampered.stdout, /^queue\s+identical/m);
      assert.match(tampered.stdout, /differs from the live state: workers/);
    } finally {
      await dir.cleanup();
    }
  }),
);

test.run();
