/**
 * Inside the ledger thread: starts the ledger with the options the parent sent, reports that it
 * serves (or why it cannot), and closes it when asked, letting pending appends reach the disk.
 */
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { startLedger } from './server.ts';
import type { LedgerThreadMessage, LedgerThreadOptions } from './thread.ts';

const port = parentPort!;
const { logLevel, logBindings, ...options } = workerData as LedgerThreadOptions;
const logger = pino({ level: logLevel ?? 'info', base: logBindings ?? null });
const post = (message: LedgerThreadMessage) => port.postMessage(message);

try {
  const ledger = await startLedger({ ...options, logger });
  port.on('message', async (message: unknown) => {
    if (message !== 'close') return;
    await ledger.close();
    post({ kind: 'closed' });
  });
  post({ kind: 'serving', url: ledger.url, port: ledger.port });
} catch (error) {
  post({ kind: 'failed', code: (error as { code?: string }).code, message: (error as Error).message });
  port.close();
}
