import { appendDecided, handleCommand } from '../../../adapters/eventstore/command-handler.ts';
import type { EventStore } from '../../../adapters/eventstore/event-store.ts';
import { readDomainEvent } from '../../../adapters/eventstore/read-domain-event.ts';
import {
  type CheckoutDetected,
  type CheckoutEvent,
  checkoutDecider,
  type DetectCheckout,
} from '../../../domain/checkout/index.ts';
import { streams } from '../../../domain/shared/streams.ts';
import { summarize } from '../harness/load.ts';
import type { BenchContext } from '../harness/types.ts';
import { startBenchLedger } from './bench-ledger.ts';
import type { PipelineRow } from './row.ts';

const streamEvents = 5_000;
/** Branches the commits are spread over (a repository's feature branches, say). */
const branches = 100;
const commands = 300;
/** The baseline reads and folds the whole stream each time (seconds each): fewer of them. */
const baselineCommands = 10;
const name = `a poll's command on a ${streamEvents.toLocaleString('en-US')}-event checkout stream`;
const at = '2026-12-07T12:00:00Z';
const commitOf = (n: number) => n.toString(16).padStart(40, '0');
const detected = (n: number): CheckoutDetected => ({
  type: 'CheckoutDetected',
  // Branches come and go: each commit on a branch of its own keeps the state as large as a busy repo's.
  data: {
    spec: 'busy',
    channel: 'busy',
    url: 'file:///srv/busy.git',
    branch: `feature-${n % branches}`,
    commit: commitOf(n),
    commitTime: at,
    detectedAt: at,
  },
});
/** The poll that finds checkout `n` (already recorded) on its branch. */
function poll(n: number): DetectCheckout {
  const { spec, channel, url, branch, commit, commitTime } = detected(n).data;
  return { type: 'DetectCheckout', spec, channel, url, branch, commit, commitTime, at, actor: 'poller' };
}

async function fill(events: EventStore, stream: string): Promise<void> {
  for (let first = 0; first < streamEvents; first += 500) {
    const batch = Array.from({ length: 500 }, (_, i) => detected(first + i));
    const context = {
      cause: { kind: 'command', id: `fill-${first}` },
      actor: 'poller',
      at,
      scope: stream,
    } as const;
    await appendDecided(events, stream, batch, context, first === 0 ? 'no_stream' : first - 1);
  }
}

/** Milliseconds of each of `count` calls of `decide`, after a few untimed ones. */
async function timed(count: number, decide: (n: number) => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  const warmup = Math.ceil(count / 10);
  for (let n = 0; n < count + warmup; n++) {
    const started = performance.now();
    await decide(streamEvents - 1 - (n % branches));
    if (n >= warmup) latencies.push(performance.now() - started);
  }
  return latencies;
}

export const longStreamCommand: PipelineRow = {
  name,
  async run(bench: BenchContext) {
    const dir = await bench.tempDir('tally-bench-long-stream-');
    const { events } = await startBenchLedger(bench, dir);
    const stream = streams.checkout('busy');
    bench.progress(`recording ${streamEvents.toLocaleString('en-US')} checkouts…`);
    await fill(events, stream);
    const context = { cause: { kind: 'command', id: 'bench-poll' }, actor: 'poller', at } as const;

    let whole: ReturnType<typeof summarize> | undefined;
    const baseline = await bench.baseline(
      'stream read whole',
      async () => {
        whole = summarize(
          await timed(baselineCommands, async (n) => {
            const history: CheckoutEvent[] = [];
            for await (const recorded of events.readStream(stream))
              history.push(readDomainEvent(recorded) as CheckoutEvent);
            const state = history.reduce(checkoutDecider.evolve, checkoutDecider.initialState);
            if (checkoutDecider.decide(poll(n), state).length > 0) throw new Error('a known head was new');
          }),
        );
        return { value: whole.p99, unit: 'ms' };
      },
      `the same decision on the stream read and folded whole, ${baselineCommands} times`,
    );
    await bench.measure(
      { name, target: { comparison: 'at-most', value: 10, unit: 'ms' }, baselines: [baseline] },
      async () => {
        // The poller decided on the stream at its earlier polls.
        await handleCommand(events, checkoutDecider, stream, poll(streamEvents - 1), context);
        const latencies = await timed(commands, async (n) => {
          const handled = await handleCommand(events, checkoutDecider, stream, poll(n), context);
          if (handled.events.length > 0) throw new Error('a known head was new');
        });
        const ours = summarize(latencies);
        return {
          figure: { value: ours.p99, unit: 'ms' },
          note:
            `p99 of ${commands} commands deciding nothing; p50 ${ours.p50.toFixed(2)} ms` +
            (whole ? `; read whole: p50 ${whole.p50.toFixed(1)} ms, p99 ${whole.p99.toFixed(1)} ms` : ''),
          details: { ours, whole },
        };
      },
    );
  },
};
