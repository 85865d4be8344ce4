/**
 * How long the server's event loop stalls while pollers run git: four pollers each running git 15
 * times, through `runGit` (which spawns on a thread of its own), against the same calls made with
 * `execFile` on the event loop, in the same run. The figure is the p99 and the longest event-loop
 * delay seen meanwhile (perf_hooks at 1 ms resolution): what every API request in flight waits.
 */
import { execFile } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { runGit } from '../../../adapters/git/git.ts';
import type { Figure } from '../harness/types.ts';
import type { PipelineRow } from './row.ts';

const pollers = 4;
const callsEach = 15;

async function loopDelayDuring(call: () => Promise<unknown>): Promise<{ p99: number; max: number }> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  await Promise.all(
    Array.from({ length: pollers }, async () => {
      for (let index = 0; index < callsEach; index++) await call();
    }),
  );
  delay.disable();
  return { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 };
}

const onTheLoop = () =>
  new Promise<void>((resolve, reject) =>
    execFile('git', ['--version'], (error) => (error ? reject(error) : resolve())),
  );

export const spawnStall: PipelineRow = {
  name: 'event-loop delay while pollers run git',
  async run(bench) {
    let onLoop = { p99: 0, max: 0 };
    const baseline = await bench.baseline(
      'git spawned on the event loop: p99',
      async (): Promise<Figure> => {
        onLoop = await loopDelayDuring(onTheLoop);
        return { value: onLoop.p99, unit: 'ms' };
      },
      'git on the event loop',
    );
    await bench.measure(
      { name: 'event-loop delay p99 while pollers run git', baselines: [baseline] },
      async () => {
        const offLoop = await loopDelayDuring(() => runGit(['--version'], { timeoutMs: 10_000 }));
        return {
          figure: { value: offLoop.p99, unit: 'ms' },
          note: `${pollers} pollers × ${callsEach} git runs; longest stall ${offLoop.max.toFixed(1)} ms (on the event loop: ${onLoop.max.toFixed(1)} ms)`,
        };
      },
    );
  },
};
