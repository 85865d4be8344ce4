import { setTimeout as sleep } from 'node:timers/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { dueSlots, runOpenLoop } from '../../ops/bench/harness/open-loop.ts';

const test = suite('open-loop load');

test('the slots due are those whose time has come, never one at or past the end', () => {
  assert.is(dueSlots(100, 10, 0, 99, 1000), 0, 'nothing before the start');
  assert.is(dueSlots(100, 10, 0, 100, 1000), 1, 'the first slot at the start');
  assert.is(dueSlots(100, 10, 1, 135, 1000), 4, 'slots 1–3 fall due by 135');
  assert.is(dueSlots(100, 10, 4, 135, 1000), 4, 'none issued twice');
  assert.is(dueSlots(100, 10, 0, 5000, 150), 5, 'slots 0–4 only: 150 is the end');
});

test('issues calls on schedule while earlier ones are still waiting for their answer', async () => {
  let started = 0;
  let inFlight = 0;
  let mostInFlight = 0;
  const result = await runOpenLoop({
    rate: 200,
    warmupMs: 100,
    durationMs: 400,
    call: async () => {
      started += 1;
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await sleep(60);
      inFlight -= 1;
    },
  });
  // 200/s for 0.5 s is 100 calls; a closed loop of one caller would have made 9.
  assert.is(started, 100);
  assert.is(result.calls, 80, 'the 20 calls of the warm-up are not recorded');
  assert.ok(mostInFlight >= 10, `calls overlapped (${mostInFlight} at once)`);
  assert.ok(result.latencyMs.p50 >= 59, `each call's latency is its own wait (${result.latencyMs.p50} ms)`);
  assert.ok(result.latencyMs.p99 < 200, `a slow call does not delay the next (${result.latencyMs.p99} ms)`);
});

test('counts failed calls in the measured window and keeps the first message', async () => {
  let made = 0;
  const result = await runOpenLoop({
    rate: 100,
    warmupMs: 0,
    durationMs: 200,
    call: async () => {
      made += 1;
      if (made % 2 === 0) throw new Error(`call ${made} failed`);
    },
  });
  assert.is(result.calls, 10);
  assert.is(result.failures, 10);
  assert.is(result.firstFailure, 'call 2 failed');
});

test('refuses a rate that is not positive', async () => {
  for (const rate of [0, -5, Number.NaN]) {
    try {
      await runOpenLoop({ rate, warmupMs: 0, durationMs: 10, call: async () => {} });
      assert.unreachable(`rate ${rate} was accepted`);
    } catch (error) {
      assert.match((error as Error).message, /rate must be positive/);
    }
  }
});

test.run();
