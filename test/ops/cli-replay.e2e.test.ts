/**
 * `tally replay --verify` against what a real `tally serve` left in its data directory: the snapshots
 * saved at a clean stop are identical to a replay; a tampered snapshot is named and fails the run.
 * `tally replay` without it saves the rebuilt states over the snapshots, and logs skipped events.
 */

import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
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

interface Appended {
  readonly type: string;
  readonly data: unknown;
  readonly metadata: Record<string, unknown>;
}

/**
 * Runs a server on `dataDir`, appends `events` by stream, waits until its projections have them and
 * stops it cleanly (which saves every snapshot). Resolves the position of each event appended.
 */
async function serveAndStop(
  dataDir: string,
  events: readonly (readonly [string, Appended])[],
): Promise<number[]> {
  const child = startTally(['serve', '--data', dataDir, '--ledger-port', '0', '--port', '0']);
  const started = lineMatching(child, (line) => line.includes('tally server started'));
  const done = finished(child);
  const { eventstore, api } = JSON.parse(await started) as { eventstore: string; api: string };
  const store = await connectEventStore(eventstore);
  const positions: number[] = [];
  try {
    for (const [streamId, event] of events)
      positions.push((await store.append(streamId, [event], 'any')).position);
  } finally {
    await store.close();
  }
  await caughtUp(api, positions.at(-1)!);
  child.kill('SIGTERM');
  assert.is((await done).code, 0);
  return positions;
}

const appended = (history: ReturnType<typeof farmHistory>) =>
  history.map(
    ({ streamId, event, metadata }) =>
      [streamId, { type: event.type, data: event.data as unknown, metadata: { ...metadata } }] as const,
  );

/**
 * Replaces the workers snapshot's state with one the events never made, as a defect of the live fold
 * would: a whole snapshot, its trailer's hash made for the new content.
 */
async function tamperWithWorkers(dataDir: string): Promise<string> {
  // A small state is one record: `[3, state]` between the header and the trailer.
  const file = join(dataDir, 'projections', 'workers.jsonl');
  const [header, record, trailer] = (await readFile(file, 'utf8')).split('\n');
  const [kind, state] = JSON.parse(record!) as [number, Record<string, unknown>];
  assert.is(kind, 3, record);
  const changed = JSON.stringify([3, { ...state, lastAt: 42 }]);
  const sha256 = createHash('sha256').update(`${header}\n${changed}\n`).digest('hex');
  const tampered = [header, changed, JSON.stringify({ ...JSON.parse(trailer!), sha256 }), ''].join('\n');
  await writeFile(file, tampered);
  return tampered;
}

test(
  'finds every snapshot identical after a clean stop, and names a tampered one',
  withTimeout(60_000, async () => {
    const dir = await tempDir('tally-replay-');
    try {
      const history = farmHistory();
      await serveAndStop(dir.path, appended(history));

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

      await tamperWithWorkers(dir.path);
      const tampered = await tally(['replay', '--verify', '--data', dir.path]);
      assert.is(tampered.code, 1, tampered.stderr);
      assert.match(tampered.stdout, /^workers\s+DIFFERS/m);
      assert.match(tampered.stdout, /^queue\s+identical/m);
      assert.match(tampered.stdout, /differs from the live state: workers/);

      // The same verdicts as one JSON object, for scripts: the run fails the same way.
      const asJson = await tally(['replay', '--verify', '--json', '--data', dir.path]);
      assert.is(asJson.code, 1, asJson.stderr);
      const report = JSON.parse(asJson.stdout) as {
        events: number;
        ok: boolean;
        hashes: Record<string, string>;
        verdicts: Record<string, { kind: string }>;
      };
      assert.is(report.ok, false);
      assert.is(report.verdicts.workers?.kind, 'differs');
      assert.is(report.verdicts.queue?.kind, 'identical');
      assert.is(report.events, summary.events);
      assert.match(report.hashes.queue ?? '', /^[0-9a-f]{64}$/);

      // A truncated snapshot cannot vouch for the live state: named, and the run fails.
      const queueFile = join(dir.path, 'projections', 'queue.jsonl');
      const queue = await readFile(queueFile, 'utf8');
      await writeFile(queueFile, queue.slice(0, Math.floor(queue.length / 2)));
      const truncated = await tally(['replay', '--verify', '--data', dir.path]);
      assert.is(truncated.code, 1, truncated.stdout + truncated.stderr);
      assert.match(truncated.stdout, /^queue\s+UNREADABLE/m);
      assert.match(truncated.stdout, /their snapshots are unreadable: queue/);

      // With no snapshot at all, nothing is vouched for either.
      await rm(join(dir.path, 'projections'), { recursive: true });
      const none = await tally(['replay', '--verify', '--data', dir.path]);
      assert.is(none.code, 1, none.stdout + none.stderr);
      assert.match(none.stdout, /nothing was compared/);
    } finally {
      await dir.cleanup();
    }
  }),
);

test(
  'with a server running, asks it to save its live state first, and says so when it could not',
  withTimeout(90_000, async () => {
    const dir = await tempDir('tally-replay-');
    const child = startTally(['serve', '--data', dir.path, '--ledger-port', '0', '--port', '0']);
    const started = lineMatching(child, (line) => line.includes('tally server started'));
    const done = finished(child);
    try {
      const { eventstore, api } = JSON.parse(await started) as { eventstore: string; api: string };
      const created = await tally(['token', 'create', 'verifier', '--data', dir.path]);
      assert.is(created.code, 0, created.stderr);
      const store = await connectEventStore(eventstore);
      let last = -1;
      try {
        for (const [streamId, event] of appended(farmHistory()))
          last = (await store.append(streamId, [event], 'any')).position;
      } finally {
        await store.close();
      }
      await caughtUp(api, last);

      const env = { TALLY_TOKEN: created.stdout.trim() };
      const saved = await tally(['replay', '--verify', '--json', '--data', dir.path], env);
      assert.is(saved.code, 0, saved.stdout + saved.stderr);
      const report = JSON.parse(saved.stdout) as {
        ok: boolean;
        live: { kind: string; positions?: Record<string, number> };
        verdicts: Record<string, { kind: string; position?: number }>;
      };
      assert.is(report.live.kind, 'saved');
      assert.ok(report.ok);
      // Every read model that the farm's events changed was saved as of the last of them.
      for (const name of ['builds', 'queue', 'evaluations', 'jobsets']) {
        assert.ok((report.live.positions?.[name] ?? -1) >= last, `${name}: ${JSON.stringify(report.live)}`);
        assert.is(report.verdicts[name]?.kind, 'identical', name);
        assert.ok((report.verdicts[name]?.position ?? -1) >= last, name);
      }

      const refused = await tally(['replay', '--verify', '--data', dir.path], { TALLY_TOKEN: '' });
      assert.is(refused.code, 0, refused.stdout + refused.stderr);
      assert.match(refused.stdout, /did not save its live state \(.*needs a token/);
      assert.match(refused.stdout, /comparing with its snapshots as it last saved them/);
    } finally {
      child.kill('SIGTERM');
      await done;
      await dir.cleanup();
    }
  }),
);

test(
  'saves the rebuilt states over the snapshots unless told not to, and logs a skipped event with its position',
  withTimeout(90_000, async () => {
    const dir = await tempDir('tally-replay-');
    try {
      const history = farmHistory();
      // A build event the domain cannot read: its data lacks every field.
      const broken = [
        'build-00000000000000000000000000000000',
        { type: 'BuildQueued', data: { nonsense: true }, metadata: {} },
      ] as const;
      const positions = await serveAndStop(dir.path, [...appended(history), broken]);
      const brokenAt = positions.at(-1)!;
      const tampered = await tamperWithWorkers(dir.path);
      const workersFile = join(dir.path, 'projections', 'workers.jsonl');

      const hashOnly = await tally(['replay', '--no-save', '--data', dir.path]);
      assert.is(hashOnly.code, 0, hashOnly.stderr);
      assert.match(hashOnly.stdout, /^not saved \(--no-save\)$/m);
      const hashOnlyJson = JSON.parse(
        (await tally(['replay', '--no-save', '--json', '--data', dir.path])).stdout,
      ) as { notSaved?: string; skipped: number };
      assert.equal([hashOnlyJson.notSaved, hashOnlyJson.skipped], ['--no-save', 1]);
      assert.is(await readFile(workersFile, 'utf8'), tampered, '--no-save left the snapshot alone');

      const rebuilt = await tally(['replay', '--data', dir.path]);
      assert.is(rebuilt.code, 0, rebuilt.stderr);
      assert.is(parseReplaySummary(rebuilt.stdout)?.skipped, 1, rebuilt.stdout);
      assert.match(rebuilt.stdout, /^saved every rebuilt state as its snapshot in .*projections/m);
      const skippedLines = rebuilt.stderr.split('\n').filter((line) => line.includes('skipped an event'));
      assert.is(skippedLines.length, 1, rebuilt.stderr);
      const logged = JSON.parse(skippedLines[0]!) as { position: number; stream: string };
      assert.equal([logged.position, logged.stream], [brokenAt, broken[0]]);
      assert.is.not(
        await readFile(workersFile, 'utf8'),
        tampered,
        'the rebuilt state replaced the tampered one',
      );

      const verified = await tally(['replay', '--verify', '--data', dir.path]);
      assert.is(verified.code, 0, verified.stdout + verified.stderr);
      assert.match(verified.stdout, /^workers\s+identical/m);
      assert.match(verified.stdout, /every projection with a snapshot is identical to its replay/);
    } finally {
      await dir.cleanup();
    }
  }),
);

test.run();
