/**
 * Deciding on a long stream reads only what was appended since this process last folded it, on a real
 * ledger: events another writer appended meanwhile are still read and decided on, and a stream
 * forgotten (more streams, or more events, than are kept) is read whole again.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { handleCommand } from '../../../adapters/eventstore/command-handler.ts';
import { connectEventStore } from '../../../adapters/eventstore/esdb-event-store.ts';
import type { EventStore } from '../../../adapters/eventstore/event-store.ts';
import {
  readStreamState,
  rememberStreamState,
  streamStateEventsKept,
  streamStatesKept,
} from '../../../adapters/eventstore/stream-state.ts';
import { checkoutDecider, type DetectCheckout, headOf } from '../../../domain/checkout/index.ts';
import { countingStreamReads } from '../../helpers/counting-store.ts';
import { startTestLedger, type TestLedger } from '../../helpers/ledger.ts';
import { withTimeout } from '../../helpers/uvu.ts';

const stream = 'checkout-demo';
const at = '2026-12-07T12:00:00Z';
const commitOf = (n: number) => n.toString(16).padStart(40, '0');
const detect = (n: number): DetectCheckout => ({
  type: 'DetectCheckout',
  spec: 'demo',
  channel: 'demo',
  url: 'file:///srv/demo.git',
  branch: 'main',
  commit: commitOf(n),
  commitTime: at,
  at,
  actor: 'poller',
});
const context = (id: string) => ({ cause: { kind: 'command', id } as const, actor: 'poller' as const, at });

const test = suite<{ ledger: TestLedger; store: EventStore; other: EventStore }>('stream states');
test.before.each(async (context) => {
  context.ledger = await startTestLedger({ memory: true });
  context.store = await connectEventStore(context.ledger.ledger.url);
  context.other = await connectEventStore(context.ledger.ledger.url);
});
test.after.each(async (context) => {
  await context.store.close();
  await context.other.close();
  await context.ledger.stop();
});

test(
  'reads only the events appended since, including another writer’s, and decides on them',
  withTimeout(20_000, async ({ store, other }) => {
    const { store: counted, read } = countingStreamReads(store);
    for (let n = 1; n <= 40; n++)
      await handleCommand(counted, checkoutDecider, stream, detect(n), context(`c${n}`));
    assert.is(read(), 0, 'each command decided on the state its predecessor left');

    // Another process (its own connection, its own states) records three commits.
    for (let n = 41; n <= 43; n++)
      await handleCommand(other, checkoutDecider, stream, detect(n), context(`o${n}`));
    const again = await handleCommand(counted, checkoutDecider, stream, detect(43), context('c43'));
    assert.equal(again.events, [], "the other writer's commit is known: nothing to record");
    assert.is(read(), 3, 'only the three events appended since were read');
    assert.is(again.revision, 42);
    assert.is(headOf(again.state, 'demo', 'main'), commitOf(43));

    const whole = await readStreamState(other, checkoutDecider, stream);
    const fresh = await readStreamState(counted, checkoutDecider, stream);
    assert.equal(fresh, whole, 'the kept fold equals a fold of the whole stream');
  }),
);

test(
  'reads a stream whole again once more streams than are kept pushed it out',
  withTimeout(20_000, async ({ store }) => {
    const { store: counted, read } = countingStreamReads(store);
    for (let n = 1; n <= 5; n++)
      await handleCommand(counted, checkoutDecider, stream, detect(n), context(`c${n}`));
    const before = read();
    await readStreamState(counted, checkoutDecider, stream);
    assert.is(read(), before, 'kept: nothing read');
    for (let i = 0; i < streamStatesKept; i++)
      rememberStreamState(counted, checkoutDecider, `checkout-other-${i}`, checkoutDecider.initialState, 0);
    const { revision } = await readStreamState(counted, checkoutDecider, stream);
    assert.is(read() - before, 5, 'forgotten: read from the first event');
    assert.is(revision, 4);
  }),
);

test(
  'keeps at most a million events folded: a long state pushes out older ones, a longer one is not kept',
  withTimeout(20_000, async ({ store }) => {
    const { store: counted, read } = countingStreamReads(store);
    for (let n = 1; n <= 5; n++)
      await handleCommand(counted, checkoutDecider, stream, detect(n), context(`c${n}`));
    const before = read();
    const { initialState } = checkoutDecider;
    rememberStreamState(counted, checkoutDecider, 'checkout-long', initialState, streamStateEventsKept - 3);
    await readStreamState(counted, checkoutDecider, stream);
    assert.is(read() - before, 5, 'pushed out by the long one: read from the first event');
    rememberStreamState(counted, checkoutDecider, 'checkout-longer', initialState, streamStateEventsKept);
    const again = read();
    await readStreamState(counted, checkoutDecider, stream);
    assert.is(read(), again, 'the longer one was not kept, so it pushed nothing out');
  }),
);

test.run();
