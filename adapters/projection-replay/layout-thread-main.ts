/**
 * Inside the layout thread: opens the ledger's files (cutting a torn tail, as a ledger would), posts
 * where every record lies and the head, and ends. The calling thread holds the directory's lock.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDirectLedgerReader } from '../ledger/direct-reader.ts';
import type { LayoutThreadData, LayoutThreadMessage } from './messages.ts';

const port = parentPort!;
const { ledgerDirectory } = workerData as LayoutThreadData;
const post = (message: LayoutThreadMessage) => port.postMessage(message);

try {
  const reader = await openDirectLedgerReader({ directory: ledgerDirectory, lockHeldByCaller: true });
  try {
    // The layout's arrays live in shared memory: posting them hands them over without a copy.
    post({ kind: 'laid-out', head: reader.headPosition(), layout: reader.layout() });
  } finally {
    await reader.close();
  }
} catch (error) {
  post({ kind: 'failed', code: (error as { code?: string }).code, message: (error as Error).message });
}
