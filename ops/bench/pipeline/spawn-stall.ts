/**
 * What git's spawns cost the requests a server answers meanwhile: a trivial Fastify route at 1,000
 * requests/s (the core suite's latency client) while four pollers run git back to back, through
 * `runGit` (which spawns on the command thread), against the same polling with `execFile` on the
 * event loop, in the same run. Figures: the route's p99, and the event loop's p99 delay
 * (perf_hooks at 1 ms resolution) while the pollers ran.
 */
import { execFile } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Fastify from 'fastify';
import { runGit } from '../../../adapters/git/git.ts';
import { routeLatency } from '../core/route-latency.ts';
import type { PipelineRow } from './row.ts';

const pollers = 4;

interface UnderPolling {
  readonly routeP99: number;
  readonly loopP99: number;
  readonly gitRuns: number;
}

/** The route's latency while pollers call `poll` until the measurement ends. */
async function whilePolling(url: string, poll: () => Promise<unknown>): Promise<UnderPolling> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  let polling = true;
  let gitRuns = 0;
  const loops = Array.from({ length: pollers }, async () => {
    while (polling) {
      await poll();
      gitRuns++;
    }
  });
  delay.enable();
  try {
    const latency = await routeLatency(url, '/trivial');
    return { routeP99: latency.p99, loopP99: delay.percentile(99) / 1e6, gitRuns };
  } finally {
    delay.disable();
    polling = false;
    await Promise.all(loops);
  }
}

const onTheLoop = () =>
  new Promise<void>((resolve, reject) =>
    execFile('git', ['--version'], (error) => (error ? reject(error) : resolve())),
  );

export const spawnStall: PipelineRow = {
  name: 'request latency while pollers run git',
  async run(bench) {
    const app = Fastify({ logger: false });
    app.get('/trivial', async () => ({ ok: true }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    bench.defer(() => app.close());
    const address = app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

    let onLoop: UnderPolling | undefined;
    const baseline = await bench.baseline(
      'git spawned on the event loop: route p99',
      async () => {
        onLoop = await whilePolling(url, onTheLoop);
        return { value: onLoop.routeP99, unit: 'ms' };
      },
      'polling with git on the event loop',
    );
    await bench.measure(
      { name: 'trivial route p99 @1000/s while 4 pollers run git', baselines: [baseline] },
      async () => {
        const offLoop = await whilePolling(url, () => runGit(['--version'], { timeoutMs: 10_000 }));
        return {
          figure: { value: offLoop.routeP99, unit: 'ms' },
          note:
            `event-loop delay p99 ${offLoop.loopP99.toFixed(1)} ms over ${offLoop.gitRuns} git runs ` +
            `(on the event loop: ${onLoop?.loopP99.toFixed(1)} ms over ${onLoop?.gitRuns} runs)`,
        };
      },
    );
  },
};
