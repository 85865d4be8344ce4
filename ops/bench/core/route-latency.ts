/**
 * Latency of one read route at 1,000 requests/s (autocannon, 10 connections). The load comes from a
 * worker thread, so the client's own work does not queue behind the server's on one event loop, and a
 * first, unrecorded run warms the route up (JIT, serializer, connections), as on a server that has
 * been up for a while. autocannon's correction for coordinated omission stays on: a stall of the
 * server counts for the requests it held back.
 */
import autocannon from 'autocannon';

export interface RouteLatency {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly requests: number;
}

export async function routeLatency(url: string, path: string): Promise<RouteLatency> {
  const options = { url: `${url}${path}`, connections: 10, overallRate: 1000, workers: 1 };
  await autocannon({ ...options, duration: 2 });
  const result = await autocannon({ ...options, duration: 5 });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${result.non2xx} non-2xx answers, ${result.errors} errors on ${path}`);
  const { p50, p99, max } = result.latency;
  return { p50, p99, max, requests: result.requests.total };
}
