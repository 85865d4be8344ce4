/**
 * The ledger survives being killed. Four writers append concurrently (exact expected revisions to
 * their own streams, `any` to shared ones) while the ledger, a process of its own, is killed with
 * SIGKILL at a random moment, round after round, and started again on the same data directory. Some
 * rounds stop it with SIGTERM instead (so the next start loads an index snapshot), and some kill it
 * again while it is still recovering. After every start the recovered log is checked against every
 * answer the writers got (see crash-model.ts), read back as `$all`, as streams, and through a
 * catch-up subscription. Appends whose answer the crash swallowed are then sent again with the same
 * ids, as an unsure client would (the ledger must recognise those that survived and write nothing
 * twice), and the writers carry on from the revisions they read.
 *
 * Randomized with a printed seed: `TALLY_TEST_SEED=<seed> npx tsx test/run.ts crash` replays the
 * same workload and kill delays (the interleaving of writers still varies).
 */
import {
  binaryEvent,
  EventStoreDBClient,
  FORWARDS,
  type ResolvedEvent,
  START,
  StreamNotFoundError,
} from '@eventstore/db-client';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type AppendOutcome,
  checkRecovery,
  type ObservedEvent,
  type SentEvent,
  type TrackedAppend,
} from '../../fixtures/crash-model.ts';
import {
  crashWhileStarting,
  type LedgerChild,
  type LedgerCommand,
  spawnLedger,
} from '../../fixtures/ledger-child.ts';
import { type SeededRandom, seededRandom, testSeed } from '../../fixtures/seeded-random.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';

const rounds = Number(process.env.TALLY_CRASH_ROUNDS ?? 20);
/** `tally ledger serve` by default; `fixture` runs bare `startLedger` (test/fixtures/ledger-process.ts). */
const command: LedgerCommand = process.env.TALLY_CRASH_VIA === 'fixture' ? 'fixture' : 'cli';
const writers = 4;
const sharedStreams = ['shared-a', 'shared-b'];
const ownStream = (writer: number) => `writer-${writer}`;

const seed = testSeed();
console.log(`crash test seed: ${seed} (replay with TALLY_TEST_SEED=${seed}); ledger run by ${command}`);

function observed(resolved: ResolvedEvent): ObservedEvent {
  const event = resolved.event!;
  return {
    stream: event.streamId,
    revision: event.revision,
    id: event.id,
    position: event.position?.commit ?? -1n,
    type: event.type,
    data: event.data as Uint8Array,
    metadata: event.metadata,
  };
}

async function readStream(client: EventStoreDBClient, stream: string): Promise<ObservedEvent[]> {
  const events: ObservedEvent[] = [];
  try {
    for await (const resolved of client.readStream(stream, { fromRevision: START, direction: FORWARDS }))
      events.push(observed(resolved));
  } catch (error) {
    if (!(error instanceof StreamNotFoundError)) throw error;
  }
  return events;
}

/** Subscribes to `$all` from the start and resolves with the ids delivered up to the head. */
async function subscribeToHead(client: EventStoreDBClient, expectedCount: number): Promise<string[]> {
  const subscription = client.subscribeToAll({ fromPosition: START });
  const ids: string[] = [];
  let caughtUp = false;
  try {
    await new Promise<void>((resolve, reject) => {
      const settle = () => caughtUp && ids.length >= expectedCount && resolve();
      subscription.on('data', (resolved: ResolvedEvent) => {
        ids.push(resolved.event!.id);
        settle();
      });
      subscription.once('caughtUp', () => {
        caughtUp = true;
        settle();
      });
      subscription.once('error', reject);
    });
  } finally {
    await subscription.unsubscribe();
  }
  return ids;
}

/** Reads everything back from a freshly started ledger and checks it; returns how many events `$all` holds. */
async function verify(url: string, appends: TrackedAppend[], label: string) {
  const client = EventStoreDBClient.connectionString(url);
  try {
    const all: ObservedEvent[] = [];
    for await (const resolved of client.readAll({ fromPosition: START, direction: FORWARDS }))
      all.push(observed(resolved));
    const names = new Set([...all.map((event) => event.stream), ...sharedStreams]);
    for (let writer = 0; writer < writers; writer++) names.add(ownStream(writer));
    const streams = new Map<string, ObservedEvent[]>();
    for (const name of names) streams.set(name, await readStream(client, name));
    const problems = checkRecovery(appends, all, streams);
    const delivered = await subscribeToHead(client, all.length);
    if (delivered.join() !== all.map((event) => event.id).join())
      problems.push(
        `a subscription from the start delivered ${delivered.length} events, $all has ${all.length}`,
      );
    if (problems.length > 0)
      assert.unreachable(`${label} (seed ${seed}):\n  ${problems.slice(0, 20).join('\n  ')}`);
    return all.length;
  } finally {
    await client.dispose();
  }
}

/**
 * Sends again, with the same event ids and expectation, every append whose answer was lost in the
 * crash, as a client unsure of its append would: the ledger must answer each with success, writing
 * it if it is absent and recognising it (writing nothing) if it survived.
 */
async function retryUnanswered(url: string, appends: TrackedAppend[], round: number) {
  const client = EventStoreDBClient.connectionString(url);
  try {
    for (const append of appends) {
      if (append.round !== round || append.outcome.kind !== 'failed') continue;
      const result = await client.appendToStream(
        append.stream,
        append.events.map((event) => binaryEvent({ ...event, metadata: event.metadata })),
        { expectedRevision: append.expected },
      );
      append.outcome = {
        kind: 'acknowledged',
        nextRevision: result.nextExpectedRevision,
        position: result.position?.commit ?? -1n,
      };
      append.retried = true;
    }
    // The writers carry on from where their streams are now.
    return await Promise.all(
      Array.from({ length: writers }, async (_, writer) => {
        const events = await readStream(client, ownStream(writer));
        return events.length === 0 ? ('no_stream' as const) : BigInt(events.length - 1);
      }),
    );
  } finally {
    await client.dispose();
  }
}

function newBatch(random: SeededRandom, writer: number, round: number): SentEvent[] {
  return Array.from({ length: random.int(1, 20) }, (_, index) => ({
    id: random.uuid(),
    type: random.pick(['Queued', 'Started', 'Logged']),
    data: random.bytes(random.int(0, 300)),
    metadata: { writer, round, index },
  }));
}

/**
 * One writer's appends for a round, until the ledger is gone or an append fails. An append that
 * fails leaves the writer unsure of its stream's revision, so it stops until the next round.
 */
async function write(
  client: EventStoreDBClient,
  random: SeededRandom,
  context: {
    writer: number;
    round: number;
    revision: 'no_stream' | bigint;
    killed: () => boolean;
    acknowledged: () => void;
  },
  appends: TrackedAppend[],
  failuresWhileAlive: string[],
) {
  let revision = context.revision;
  while (!context.killed()) {
    const shared = random.next() < 0.3;
    const append: TrackedAppend = {
      round: context.round,
      writer: context.writer,
      stream: shared ? random.pick(sharedStreams) : ownStream(context.writer),
      expected: shared ? 'any' : revision,
      events: newBatch(random, context.writer, context.round),
      outcome: { kind: 'in-flight' },
      recovered: false,
    };
    appends.push(append);
    try {
      const result = await client.appendToStream(
        append.stream,
        append.events.map((event) => binaryEvent({ ...event, metadata: event.metadata })),
        { expectedRevision: append.expected },
      );
      const outcome: AppendOutcome = {
        kind: 'acknowledged',
        nextRevision: result.nextExpectedRevision,
        position: result.position?.commit ?? -1n,
      };
      append.outcome = outcome;
      context.acknowledged();
      if (!shared) revision = result.nextExpectedRevision;
    } catch (error) {
      append.outcome = { kind: 'failed', error: String(error) };
      if (!context.killed()) failuresWhileAlive.push(`writer ${context.writer}: ${String(error)}`);
      return;
    }
  }
}

interface RoundResult {
  readonly acknowledged: number;
  readonly stoppedWith: 'SIGKILL' | 'SIGTERM';
}

async function runRound(
  ledger: LedgerChild,
  round: number,
  revisions: ReadonlyArray<'no_stream' | bigint>,
  random: SeededRandom,
  appends: TrackedAppend[],
): Promise<RoundResult> {
  const clients = Array.from({ length: writers }, () => EventStoreDBClient.connectionString(ledger.url));
  let killed = false;
  const failuresWhileAlive: string[] = [];
  const before = appends.length;
  let firstAcknowledged: () => void = () => {};
  const firstAppend = new Promise<boolean>((resolve) => {
    firstAcknowledged = () => resolve(true);
  });
  const writing = clients.map((client, writer) =>
    write(
      client,
      seededRandom(random.int(0, 2 ** 32 - 1)),
      { writer, round, revision: revisions[writer]!, killed: () => killed, acknowledged: firstAcknowledged },
      appends,
      failuresWhileAlive,
    ),
  );
  const graceful = round % 5 === 4;
  // The kill delay counts from the first acknowledged append: on a busy machine the clients'
  // connections alone can take longer than the shortest delays, and a round with nothing written
  // tests nothing. A ledger that acknowledges nothing within 15 s fails the round.
  let noAppendTimer: NodeJS.Timeout | undefined;
  const gotOne = await Promise.race([
    firstAppend,
    new Promise<boolean>((resolve) => {
      noAppendTimer = setTimeout(() => resolve(false), 15_000);
    }),
  ]);
  clearTimeout(noAppendTimer);
  assert.ok(gotOne || failuresWhileAlive.length > 0, `round ${round}: no append acknowledged in 15 s`);
  await new Promise((resolve) => setTimeout(resolve, random.int(50, 400)));
  killed = true;
  const stoppedWith = graceful ? 'SIGTERM' : 'SIGKILL';
  const exit = await ledger.stop(stoppedWith);
  if (graceful) assert.is(exit.code, 0, `a SIGTERM closes the ledger cleanly: ${ledger.stderr()}`);
  // The writers learn of the crash through their connections; each stops after its in-flight append.
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(writing).then(() => {
      settled = true;
    }),
    new Promise((resolve) => {
      timer = setTimeout(resolve, 15_000);
    }),
  ]);
  clearTimeout(timer);
  await Promise.all(clients.map((client) => client.dispose()));
  assert.ok(settled, `round ${round}: appends in flight when the ledger died neither failed nor succeeded`);
  assert.equal(failuresWhileAlive, [], `round ${round}: appends failed while the ledger was up`);
  const acknowledged = appends
    .slice(before)
    .filter((append) => append.outcome.kind === 'acknowledged').length;
  return { acknowledged, stoppedWith };
}

const test = suite('the ledger, killed at random moments');

test(
  'keeps every acknowledged append, at its position and byte for byte, across SIGKILLs',
  withTimeout(400_000, async () => {
    const random = seededRandom(seed);
    const directory = await tempDir('tally-ledger-crash-');
    const appends: TrackedAppend[] = [];
    let revisions: Array<'no_stream' | bigint> = Array.from({ length: writers }, () => 'no_stream');
    let ledger: LedgerChild | undefined;
    const started = Date.now();
    try {
      for (let round = 0; round < rounds; round++) {
        if (round % 7 === 6) await crashWhileStarting(directory.path, random.int(200, 1500), command);
        ledger = await spawnLedger(directory.path, { command });
        if (round > 0) {
          await verify(ledger.url, appends, `after round ${round - 1}`);
          revisions = await retryUnanswered(ledger.url, appends, round - 1);
        }
        const result = await runRound(ledger, round, revisions, random, appends);
        ledger = undefined;
        assert.ok(
          result.acknowledged > 0 || round % 7 === 6,
          `round ${round}: the writers got no append through`,
        );
      }
      ledger = await spawnLedger(directory.path, { command });
      const events = await verify(ledger.url, appends, 'after the last round');
      const retried = appends.filter((append) => append.retried);
      const survived = retried.filter((append) => append.recovered).length;
      console.log(
        `${rounds} rounds in ${((Date.now() - started) / 1000).toFixed(1)} s: ${appends.length} appends, ` +
          `${retried.length} unanswered and retried after the restart (${survived} had survived the crash ` +
          `whole, ${retried.length - survived} were absent); ${events} events in $all`,
      );
      assert.ok(events > 0);
    } finally {
      await ledger?.stop('SIGKILL');
      await directory.cleanup();
    }
  }),
);

test.run();
