/**
 * One projection failing on one event: the event is skipped for it and counted, every other
 * projection still folds it, and the failing projection still folds the events after it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SourceEvent } from '../../../projections/runtime/event-source.ts';
import { foldEvent, newSlot, type SkippedEvents } from '../../../projections/runtime/fold.ts';
import type { Projection } from '../../../projections/runtime/projection.ts';

type Counted = { readonly type: string; readonly data: { readonly n: number } };

/** Counts the events folded in; `fragile` throws on n = 2, as a defect would. */
function counter(name: string, fragile: boolean): Projection<number, Counted> {
  return {
    name,
    version: 1,
    canHandle: () => true,
    initialState: 0,
    evolve(state, { event }) {
      if (fragile && event.data.n === 2) throw new TypeError('cannot read that');
      return state + 1;
    },
  };
}

const source = (n: number): SourceEvent => ({
  streamId: 'count-1',
  revision: n,
  position: n * 100,
  id: `00000000-0000-4000-8000-00000000000${n}`,
  type: 'Counted',
  data: { n },
  metadata: {},
  created: new Date(0),
});

test('a projection that throws on an event skips it, counted and reported, and goes on', () => {
  const slots = [counter('fragile', true), counter('sturdy', false)].map(newSlot);
  const skipped: SkippedEvents = { count: 0, byReason: {} };
  const reported: string[] = [];
  const decode = (event: SourceEvent) => ({
    ok: true as const,
    event: { type: event.type, data: event.data as { n: number } },
  });
  for (const n of [1, 2, 3]) {
    foldEvent(slots, source(n), decode, skipped, (event, reason) =>
      reported.push(`${event.position} ${reason}`),
    );
  }
  assert.equal(
    slots.map((slot) => slot.state),
    [2, 3],
  );
  assert.equal(
    slots.map((slot) => slot.position),
    [300, 300],
  );
  assert.equal(skipped, { count: 1, byReason: { 'projection-failed': 1 } });
  assert.equal(reported, ['200 projection fragile failed on it: cannot read that']);
});

test.run();
