/**
 * autocannon's rate mode as a load client (each second's requests sent as bursts: see `open-loop.ts`), run as a process of its own by `routeLatency`
 * (`node --import tsx rate-client.ts <url> <connections> <rate> <warmupSeconds> <seconds>`): autocannon
 * with one unrecorded warm-up run, then the measured run. Prints one JSON line: the measured run's
 * latency percentiles in milliseconds, its counts, and the CPU this client used over both runs in % of one core.
 */
import autocannon from 'autocannon';

const [url, connections, rate, warmupSeconds, seconds] = process.argv.slice(2);
if (!url || !seconds) throw new Error('usage: rate-client.ts <url> <connections> <rate> <warmup s> <s>');
const cpuBefore = process.cpuUsage();
const started = performance.now();
const options = { url, connections: Number(connections), overallRate: Number(rate) };
await autocannon({ ...options, duration: Number(warmupSeconds) });
const result = await autocannon({ ...options, duration: Number(seconds) });
const { p50, p99, max } = result.latency;
const cpu = process.cpuUsage(cpuBefore);
const cpuPercent = Math.round((100 * (cpu.user + cpu.system)) / 1e3 / (performance.now() - started));
process.stdout.write(
  `${JSON.stringify({ p50, p99, max, requests: result.requests.total, non2xx: result.non2xx, errors: result.errors, cpuPercent })}\n`,
);
