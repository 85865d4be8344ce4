/**
 * One collection in its own process, so its peak RSS is its own: argv storeDir stateDir gcDir
 * eventStoreUrl rootsFile. Prints one JSON line: seconds in `collectGarbage`, paths, bytes, peak RSS.
 */
import { readFileSync } from 'node:fs';
import { connectEventStore } from '../../../adapters/eventstore/esdb-event-store.ts';
import { collectGarbage } from '../../../adapters/gc/collect.ts';
import { createFileStoreGc } from '../../../adapters/gc/file-store-gc.ts';
import type { GcStore } from '../../../adapters/gc/gc-store.ts';
import { staticRootSource } from '../../../adapters/gc/root-source.ts';
import { openFileStore } from '../../../adapters/store/file-store.ts';

const [storeDir, stateDir, gcDir, url, rootsFile] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const roots = readFileSync(rootsFile, 'utf8')
  .split('\n')
  .filter((line) => line !== '');
const events = await connectEventStore(url);
const store = await openFileStore({ storeDir, stateDir });
const trace = process.env.TALLY_BENCH_GC_TRACE !== undefined;
const gcStore = createFileStoreGc(store, stateDir);
/** Seconds spent in each store call, printed at the end when tracing. */
const spent = new Map<string, number>();
function timed<K extends 'scan' | 'scanNew' | 'unregister' | 'deleteContent' | 'compact'>(
  name: K,
): GcStore[K] {
  const call = gcStore[name] as (...args: unknown[]) => Promise<unknown>;
  return (async (...args: unknown[]) => {
    const start = performance.now();
    try {
      return await call(...args);
    } finally {
      spent.set(name, (spent.get(name) ?? 0) + (performance.now() - start) / 1000);
    }
  }) as GcStore[K];
}
let chunks = 0;
const started = performance.now();
const summary = await collectGarbage({
  store: trace
    ? {
        ...gcStore,
        scan: timed('scan'),
        scanNew: timed('scanNew'),
        unregister: timed('unregister'),
        deleteContent: timed('deleteContent'),
        compact: timed('compact'),
      }
    : gcStore,
  events,
  rootSource: staticRootSource(roots),
  gcDir,
  policy: { keepEvaluations: 1, gracePeriodSeconds: 0, dryRun: false },
  onProgress: (progress) => {
    if (progress.phase === 'chunk') chunks++;
    // TALLY_BENCH_GC_TRACE=1 prints when each phase ends, to see where the time goes.
    if (trace)
      process.stderr.write(
        `${((performance.now() - started) / 1000).toFixed(2)} s ${JSON.stringify(progress)}\n`,
      );
  },
});
const seconds = (performance.now() - started) / 1000;
if (trace) {
  const cpu = process.cpuUsage();
  const seconds = { user: cpu.user / 1e6, system: cpu.system / 1e6, ...Object.fromEntries(spent) };
  process.stderr.write(`CPU and store calls (s): ${JSON.stringify(seconds)}\n`);
}
await events.close();
process.stdout.write(
  `${JSON.stringify({ seconds, paths: summary.pathCount, bytes: summary.freedBytes, valid: summary.validCount, chunks, peakRss: process.resourceUsage().maxRSS * 1024 })}\n`,
);
