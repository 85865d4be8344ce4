/**
 * Inside a replay thread: folds its share of the catalogue's projections over every event up to the
 * position given, reading the ledger's files itself, then posts each state's hash and, when asked,
 * saves each state as its projection's snapshot. The states never leave the thread: copying hundreds
 * of megabytes to the parent would cost more than hashing and saving them here, in parallel.
 */

import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { allProjections } from '../../projections/catalogue.ts';
import { storeIdentity } from '../../projections/runtime/event-source.ts';
import { replayProjections } from '../../projections/runtime/replay.ts';
import { hashState } from '../../projections/runtime/state-hash.ts';
import { decodeRecorded } from '../eventstore/read-domain-event.ts';
import { readLaidOutLog } from '../ledger/direct-reader.ts';
import { createFileSnapshotStore } from '../projection-snapshots/file-snapshot-store.ts';
import type { ReplayThreadData, ReplayThreadMessage, SkippedAt } from './messages.ts';

const port = parentPort!;
const data = workerData as ReplayThreadData;
const post = (message: ReplayThreadMessage) => port.postMessage(message);

try {
  const projections = allProjections.filter((projection) => data.projections.includes(projection.name));
  const reader = await readLaidOutLog(data.layout);
  try {
    const skipped: SkippedAt[] = [];
    const result = await replayProjections(reader, projections, decodeRecorded, {
      upTo: data.upTo,
      progressEvery: data.progressEvery,
      onProgress: (events, position) => post({ kind: 'progress', events, position }),
      onSkip: (event, reason) => skipped.push({ position: event.position, stream: event.streamId, reason }),
    });
    post({ kind: 'replayed' });
    const hashes: Record<string, string> = {};
    for (const [name, state] of result.states) hashes[name] = hashState(state);
    const saving = performance.now();
    if (data.snapshotDirectory) {
      const snapshots = createFileSnapshotStore(
        data.snapshotDirectory,
        pino({ level: 'warn' }, pino.destination(2)),
      );
      // The server checks that its snapshots were folded from its store (`storeIdentity`).
      let store: string | undefined;
      for await (const first of reader.readAll()) {
        store = storeIdentity(first);
        break;
      }
      for (const projection of projections)
        await snapshots.save({
          projection: projection.name,
          version: projection.version,
          position: result.position,
          ...(store === undefined ? {} : { store }),
          state: result.states.get(projection.name),
        });
    }
    post({
      kind: 'done',
      events: result.events,
      position: result.position,
      hashes,
      skipped,
      savedMs: data.snapshotDirectory ? performance.now() - saving : 0,
    });
  } finally {
    await reader.close();
  }
} catch (error) {
  post({ kind: 'failed', code: (error as { code?: string }).code, message: (error as Error).message });
}
