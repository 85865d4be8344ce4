/**
 * A paced HTTP load client, run as a process of its own by `routeLatency`
 * (`node --import tsx paced-client.ts <url> <rate> <warmupSeconds> <seconds>`): GET requests issued
 * open-loop at a fixed rate (`open-loop.ts`) over keep-alive connections, opened as needed. Prints one
 * JSON line: the measured run's latency percentiles in milliseconds, how late the client issued its
 * requests, its counts, and the CPU this client used over both runs in % of one core.
 */
import { Agent, get } from 'node:http';
import { runOpenLoop } from './open-loop.ts';

const [url, rate, warmupSeconds, seconds] = process.argv.slice(2);
if (!url || !seconds) throw new Error('usage: paced-client.ts <url> <rate> <warmup s> <s>');

// Enough connections for the requests a stall of a second holds back at a few hundred per second;
// past that, requests wait for a connection, and that wait counts in their latency.
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const timeoutMs = 10_000;

function request(): Promise<void> {
  return new Promise((resolve, reject) => {
    const sent = get(url!, { agent }, (response) => {
      response.resume();
      response.on('error', reject);
      response.on('end', () => {
        if (response.statusCode === 200) resolve();
        else reject(new Error(`HTTP ${response.statusCode}`));
      });
    });
    sent.on('error', reject);
    sent.setTimeout(timeoutMs, () => sent.destroy(new Error(`no answer in ${timeoutMs} ms`)));
  });
}

const cpuBefore = process.cpuUsage();
const started = performance.now();
const result = await runOpenLoop({
  rate: Number(rate),
  warmupMs: Number(warmupSeconds) * 1000,
  durationMs: Number(seconds) * 1000,
  call: request,
});
agent.destroy();
const cpu = process.cpuUsage(cpuBefore);
const cpuPercent = Math.round((100 * (cpu.user + cpu.system)) / 1e3 / (performance.now() - started));
const { p50, p99, max } = result.latencyMs;
process.stdout.write(
  `${JSON.stringify({
    p50,
    p99,
    max,
    latenessP99: result.latenessMs.p99,
    requests: result.calls,
    errors: result.failures,
    firstError: result.firstFailure,
    cpuPercent,
  })}\n`,
);
