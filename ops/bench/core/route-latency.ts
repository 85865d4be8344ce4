/**
 * Latency of one read route at 1,000 requests/s, issued open-loop on a fixed schedule
 * (`harness/paced-client.ts`, 10 s measured), then the same route under autocannon's rate mode (10
 * connections, 5 s measured) for comparison: autocannon sends each second's requests as bursts of ten,
 * so its p99 is mostly queueing inside a burst (see `harness/open-loop.ts`). Each load comes from a
 * process of its own, so that the figure is about the server: a load client
 * in a worker thread of the server's process shares its heap's collector threads and competes with it
 * for the same process's CPU, and in the same runs its p99s came out higher than a separate client's.
 * A first, unrecorded run warms the route up (JIT, serializer, connections), as on a server that has
 * been up for a while. The paced client issues requests whether or not earlier ones answered, so a
 * stall of the server counts in every request it held back.
 *
 * Beside the client's figures: the server's event-loop delay while the load ran (perf_hooks, 1 ms
 * resolution), its garbage-collection pauses, and the CPU the server, the client and everything else on the machine used, so that a
 * tail caused by neighbours on a shared machine can be told from one the server causes.
 */
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startCpuMeter } from '../harness/proc.ts';

export interface RouteLatency {
  /** The paced client's figures, in ms. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly requests: number;
  /** How late the paced client issued its requests, p99 in ms: high when the client itself was starved. */
  readonly latenessP99: number;
  /** autocannon's rate mode on the same route, in ms. */
  readonly bursts: { readonly p50: number; readonly p99: number; readonly max: number };
  /** The server's event-loop delay p99 over the warm-up and measured runs, in ms. */
  readonly loopDelayP99: number;
  /** The server's longest event-loop delay over those runs, in ms: a stall of the server shows here. */
  readonly loopDelayMax: number;
  /** The server's garbage-collection pauses while the load ran: how many, their sum and the longest, in ms. */
  readonly gc: { readonly pauses: number; readonly totalMs: number; readonly longestMs: number };
  /** CPU used while the load ran, in % of one core: by the server's process, the client, the rest of the machine. */
  readonly cpu: { readonly server: number; readonly client: number; readonly others: number };
}

const pacedClient = fileURLToPath(new URL('../harness/paced-client.ts', import.meta.url));
const burstClient = fileURLToPath(new URL('../harness/rate-client.ts', import.meta.url));

interface ClientResult {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly requests: number;
  readonly non2xx?: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly latenessP99?: number;
  readonly cpuPercent: number;
}

function runClient(script: string, args: readonly string[]): Promise<ClientResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`the load client exited with ${code}: ${stderr.trim()}`));
      else resolve(JSON.parse(stdout) as ClientResult);
    });
  });
}

function checked(result: ClientResult, path: string): ClientResult {
  if ((result.non2xx ?? 0) > 0 || result.errors > 0)
    throw new Error(
      `${result.non2xx ?? 0} non-2xx answers, ${result.errors} errors on ${path}${result.firstError ? ` (first: ${result.firstError})` : ''}`,
    );
  return result;
}

export async function routeLatency(url: string, path: string): Promise<RouteLatency> {
  const target = `${url}${path}`;
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const pauses: number[] = [];
  const collector = new PerformanceObserver((entries) => {
    for (const entry of entries.getEntries()) pauses.push(entry.duration);
  });
  collector.observe({ entryTypes: ['gc'] });
  delay.enable();
  const meter = startCpuMeter();
  let result: ClientResult;
  try {
    result = await runClient(pacedClient, [target, '1000', '3', '10']);
  } finally {
    delay.disable();
    for (const entry of collector.takeRecords()) pauses.push(entry.duration);
    collector.disconnect();
  }
  const used = meter.stop();
  const { p50, p99, max, requests, latenessP99 = 0, cpuPercent: client } = checked(result, path);
  const cpu = { server: used.bench, client, others: Math.max(0, used.others - client) };
  const gc = {
    pauses: pauses.length,
    totalMs: pauses.reduce((sum, pause) => sum + pause, 0),
    longestMs: Math.max(0, ...pauses),
  };
  const bursts = checked(await runClient(burstClient, [target, '10', '1000', '2', '5']), path);
  return {
    p50,
    p99,
    max,
    requests,
    latenessP99,
    bursts: { p50: bursts.p50, p99: bursts.p99, max: bursts.max },
    loopDelayP99: delay.percentile(99) / 1e6,
    loopDelayMax: delay.max / 1e6,
    gc,
    cpu,
  };
}

/** The server's side of a row, for its note: loop delay, collector pauses and who used the CPU. */
export function describeServerSide({ loopDelayP99, loopDelayMax, gc, cpu }: RouteLatency): string {
  return (
    `loop delay p99 ${loopDelayP99.toFixed(1)} ms, max ${loopDelayMax.toFixed(1)} ms, ${gc.pauses} GC pauses (${gc.totalMs.toFixed(0)} ms, longest ${gc.longestMs.toFixed(1)} ms), ` +
    `CPU server ${cpu.server} % client ${cpu.client} % others ${cpu.others} %`
  );
}

/** autocannon's figures for the same route, for the note. */
export function describeBursts({ bursts }: RouteLatency): string {
  return `p50 ${bursts.p50} ms, p99 ${bursts.p99} ms, max ${bursts.max} ms`;
}
