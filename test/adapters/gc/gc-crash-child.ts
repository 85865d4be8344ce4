/**
 * Runs one collection over an existing file store and prints `unregistering` and `deleting` as
 * each batch of removal starts, so the crash test can SIGKILL it there. argv: storeDir stateDir
 * gcDir eventStoreUrl gcId chunkPaths roundPaths.
 */
import { connectEventStore } from '../../../adapters/eventstore/esdb-event-store.ts';
import { collectGarbage } from '../../../adapters/gc/collect.ts';
import { createFileStoreGc } from '../../../adapters/gc/file-store-gc.ts';
import type { GcStore } from '../../../adapters/gc/gc-store.ts';
import { staticRootSource } from '../../../adapters/gc/root-source.ts';
import { openFileStore } from '../../../adapters/store/file-store.ts';

const [storeDir, stateDir, gcDir, url, gcId, chunkPaths, roundPaths] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
  string,
];
const store = await openFileStore({ storeDir, stateDir });
const events = await connectEventStore(url);
const gcStore = createFileStoreGc(store, stateDir);
// Tells the parent when a removal step is under way, so the kill lands inside it.
const announcing: GcStore = {
  ...gcStore,
  async unregister(paths) {
    process.stdout.write('unregistering\n');
    return gcStore.unregister(paths);
  },
  async deleteContent(paths) {
    process.stdout.write('deleting\n');
    await gcStore.deleteContent(paths);
  },
};
await collectGarbage({
  store: announcing,
  events,
  rootSource: staticRootSource([]),
  gcDir,
  gcId,
  chunkPaths: Number(chunkPaths),
  roundPaths: Number(roundPaths),
  policy: { keepEvaluations: 1, gracePeriodSeconds: 0, dryRun: false },
});
process.stdout.write('finished\n');
await events.close();
