/**
 * Inside the layout thread: opens the ledger's files (cutting a torn tail, as a ledger would), closes
 * them again, posts where every record lies and the head, and ends. The calling thread holds the
 * directory's lock.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDirectLedgerReader } from '../ledger/direct-reader.ts';
import type { LayoutThreadData, LayoutThreadMessage } from './messages.ts';

const port = parentPort!;
const { ledgerDirectory } = workerData as LayoutThreadData;
const post = (message: LayoutThreadMessage) => port.postMessage(message);

try {
  const reader = await openDirectLedgerReader({ directory: ledgerDirectory, lockHeldByCaller: true });
  let laidOut: Extract<LayoutThreadMessage, { kind: 'laid-out' }>;
  try {
    // The layout's arrays live in shared memory: they outlive the reader, and posting them hands
    // them over without a copy.
    laidOut = { kind: 'laid-out', head: reader.headPosition(), layout: reader.layout() };
  } finally {
    // Closing may write the index's snapshot into the directory: done before the replay begins.
    await reader.close();
  }
  post(laidOut);
} catch (error) {
  post({ kind: 'failed', code: (error as { code?: string }).code, message: (error as Error).message });
}
