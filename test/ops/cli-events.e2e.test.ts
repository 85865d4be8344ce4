/**
 * The real `tally` executable: `ledger serve` in a temporary data directory, then `events show`,
 * `stats` and `tail` against it, each a separate process, as a user would run them.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectEventStore } from '../../adapters/eventstore/esdb-event-store.ts';
import type { EventStore } from '../../adapters/eventstore/event-store.ts';
import { type Finished, finished, lineMatching, startTally, tally } from '../helpers/tally-process.ts';
import { tempDir, withTimeout } from '../helpers/uvu.ts';

interface Context {
  dataDir: string;
  cleanup: () => Promise<void>;
  serve: ChildProcess;
  serveDone: Promise<Finished>;
  url: string;
  store: EventStore;
}

const cli = suite<Context>('the tally events commands against `tally ledger serve`', {} as Context);

cli.before(async (context) => {
  const dir = await tempDir('tally-cli-');
  context.dataDir = dir.path;
  context.cleanup = dir.cleanup;
  context.serve = startTally(['ledger', 'serve', '--data', dir.path, '--port', '0', '--memory']);
  const listening = lineMatching(context.serve, (line) => line.includes('ledger listening'));
  context.serveDone = finished(context.serve);
  const logLine = JSON.parse(await listening) as { url: string };
  context.url = logLine.url;
  context.store = await connectEventStore(context.url);
  await context.store.append(
    'spec-demo',
    [
      { type: 'SpecAdded', data: { name: 'demo' }, metadata: { actor: 'user:alice' } },
      { type: 'SpecPaused', data: { reason: 'maintenance' } },
    ],
    'no_stream',
  );
  await context.store.append('build-abc', [{ type: 'BuildQueued', data: { drv: 'abc.drv' } }], 'no_stream');
});

cli.after(async (context) => {
  if (context.serve?.exitCode === null) context.serve.kill('SIGKILL');
  await context.store?.close();
  await context.cleanup?.();
});

cli(
  'ledger serve announces its URL and pid in ledger.json',
  withTimeout(5_000, async (context: Context) => {
    const endpoint = JSON.parse(readFileSync(`${context.dataDir}/ledger.json`, 'utf8'));
    assert.equal({ url: endpoint.url, pid: endpoint.pid }, { url: context.url, pid: context.serve.pid });
    assert.match(
      endpoint.owner,
      new RegExp(`^${context.serve.pid} \\d+ pid:\\[\\d+\\]$`),
      'with when and where the process started, to tell a reused pid',
    );
    assert.match(context.url, /^esdb:\/\/127\.0\.0\.1:\d+\?tls=false$/);
  }),
);

cli(
  'events show prints a stream as JSON lines, found through ledger.json',
  withTimeout(15_000, async (context: Context) => {
    const result = await tally(['events', 'show', 'spec-demo', '--json', '--data', context.dataDir]);
    assert.is(result.code, 0, result.stderr);
    const events = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.equal(
      events.map((e) => [e.streamId, e.revision, e.type, e.data, e.metadata]),
      [
        ['spec-demo', 0, 'SpecAdded', { name: 'demo' }, { actor: 'user:alice' }],
        ['spec-demo', 1, 'SpecPaused', { reason: 'maintenance' }, {}],
      ],
    );
    assert.ok(!Number.isNaN(Date.parse(events[0].created)));
  }),
);

cli(
  'events show says a stream without events, or no stream named, is a mistake, with a code',
  withTimeout(15_000, async (context: Context) => {
    const none = await tally(['events', 'show', 'spec-nosuch', '--data', context.dataDir]);
    assert.is(none.code, 1);
    assert.match(none.stderr, /stream spec-nosuch has no events: check its name .*\[TALLY_CLI_NO_EVENTS\]/);
    const empty = await tally(['events', 'show', '', '--data', context.dataDir]);
    assert.is(empty.code, 1);
    assert.match(empty.stderr, /a stream name is needed: .*\[TALLY_CLI_INVALID_OPTION\]/);
  }),
);

cli(
  'events show reads backwards with a limit from an explicit --eventstore, in the human format',
  withTimeout(15_000, async (context: Context) => {
    const result = await tally([
      'events',
      'show',
      'spec-demo',
      '--backwards',
      '--limit',
      '1',
      '--eventstore',
      context.url,
    ]);
    assert.is(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.is(lines.length, 1);
    assert.match(lines[0]!, /spec-demo@1 {2}SpecPaused .*\{"reason":"maintenance"\}/);
  }),
);

cli(
  'events stats --json counts events, streams and categories',
  withTimeout(15_000, async (context: Context) => {
    const result = await tally(['events', 'stats', '--json', '--data', context.dataDir]);
    assert.is(result.code, 0, result.stderr);
    const stats = JSON.parse(result.stdout);
    assert.equal(
      { ...stats, headPosition: undefined },
      { events: 3, streams: 2, categories: { spec: 2, build: 1 }, headPosition: undefined },
    );
    for await (const last of context.store.readAll({ direction: 'backwards', limit: 1 })) {
      assert.is(stats.headPosition, last.position);
    }
  }),
);

cli(
  'events tail --json follows from the start into live appends, and stops on SIGTERM with 0',
  withTimeout(20_000, async (context: Context) => {
    const child = startTally(['events', 'tail', '--from', 'start', '--json', '--data', context.dataDir]);
    const done = finished(child);
    const lines = createInterface({ input: child.stdout! });
    const types: string[] = [];
    for await (const line of lines) {
      types.push(JSON.parse(line).type);
      if (types.length === 3) {
        await context.store.append('build-abc', [{ type: 'BuildStarted', data: {} }], 0);
      }
      if (types.length === 4) break;
    }
    child.kill('SIGTERM');
    const result = await done;
    assert.equal(types, ['SpecAdded', 'SpecPaused', 'BuildQueued', 'BuildStarted']);
    assert.is(result.code, 0, result.stderr);
  }),
);

cli(
  'events tail filters on a type prefix',
  withTimeout(20_000, async (context: Context) => {
    const child = startTally([
      'events',
      'tail',
      '--from',
      'start',
      '--json',
      '--type-prefix',
      'Build',
      '--data',
      context.dataDir,
    ]);
    const done = finished(child);
    const first = JSON.parse(await lineMatching(child, () => true));
    child.kill('SIGINT');
    assert.is(first.type, 'BuildQueued');
    assert.is((await done).code, 0);
  }),
);

cli(
  'SIGTERM stops ledger serve with exit code 0 and removes ledger.json',
  withTimeout(15_000, async (context: Context) => {
    await context.store.close();
    context.serve.kill('SIGTERM');
    const result = await context.serveDone;
    assert.is(result.code, 0, result.stderr);
    assert.not.ok(existsSync(`${context.dataDir}/ledger.json`));
    assert.match(result.stdout, /stopping the ledger/);
  }),
);

cli(
  'events show without a running ledger says how to start one and exits non-zero',
  withTimeout(15_000, async (context: Context) => {
    const result = await tally(['events', 'show', 'spec-demo', '--data', context.dataDir]);
    assert.is(result.code, 1);
    assert.match(result.stderr, /no ledger is running/);
    assert.match(result.stderr, /tally ledger serve/);
    assert.match(result.stderr, /--eventstore/);
    assert.match(result.stderr, /TALLY_CLI_NO_LEDGER/);
  }),
);

cli.run();

const basics = suite('the tally executable');

basics(
  'prints its version',
  withTimeout(15_000, async () => {
    const result = await tally(['--version']);
    assert.is(result.code, 0);
    assert.match(result.stdout.trim(), /^\d+\.\d+\.\d+/);
  }),
);

basics(
  'documents the events commands in --help',
  withTimeout(15_000, async () => {
    const result = await tally(['events', '--help']);
    assert.is(result.code, 0);
    for (const command of ['show', 'tail', 'stats'])
      assert.match(result.stdout, new RegExp(`\\n\\s+${command}\\b`));
    const tail = await tally(['events', 'tail', '--help']);
    for (const option of [
      '--stream-prefix',
      '--type-prefix',
      '--type-regex',
      '--from',
      '--eventstore',
      '--data',
    ]) {
      assert.ok(tail.stdout.includes(option), `tail --help mentions ${option}`);
    }
  }),
);

basics(
  'reports an unreachable --eventstore with its code and advice',
  withTimeout(15_000, async () => {
    const result = await tally(['events', 'stats', '--eventstore', 'esdb://127.0.0.1:1?tls=false']);
    assert.is(result.code, 1);
    assert.match(result.stderr, /TALLY_EVENTSTORE_UNAVAILABLE/);
    assert.match(result.stderr, /check that it is running/);
  }),
);

basics.run();
