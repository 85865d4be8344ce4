/**
 * The embedded ledger on its own thread. The server process runs the event store's gRPC side and the
 * client side of every append; on one thread the two halves take turns (protobuf encoding on both
 * sides is most of an append's cost), on two they overlap, and the main thread keeps its time for
 * projections, the scheduler and the API. Appends per second roughly double on a two-core machine.
 *
 * The thread serves the same protocol on the same loopback port as `startLedger` in the calling
 * thread would; only where its CPU time is spent changes.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { LedgerOptions, RunningLedger } from './server.ts';

/** What the thread posts back: that it serves, that it could not start, or that it has closed. */
export type LedgerThreadMessage =
  | { readonly kind: 'serving'; readonly url: string; readonly port: number }
  | { readonly kind: 'failed'; readonly code?: string; readonly message: string }
  | { readonly kind: 'closed' };

/** The options a thread can receive (a logger cannot cross threads: its level and bindings do). */
export type LedgerThreadOptions = Omit<LedgerOptions, 'logger'> & {
  readonly logLevel?: string;
  readonly logBindings?: Record<string, unknown>;
};

export interface ThreadLedger extends RunningLedger {
  /** Settles when the thread ends; rejects when it ended without being closed (a crash). */
  readonly ended: Promise<void>;
}

const entry = new URL('./thread-entry.js', import.meta.url);

/** Starts the ledger in a worker thread; resolves once it serves, rejects as `startLedger` would. */
export async function startLedgerThread(options: LedgerOptions): Promise<ThreadLedger> {
  const { logger, ...rest } = options;
  const workerData: LedgerThreadOptions = {
    ...rest,
    ...(logger ? { logLevel: logger.level, logBindings: logger.bindings() } : { logLevel: 'silent' }),
  };
  const worker = new Worker(entry, { workerData, stdout: false, stderr: false });
  let closing = false;
  const ended = new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) =>
      closing
        ? resolve()
        : reject(
            Object.assign(new Error(`the ledger thread ended (exit code ${code})`), {
              code: 'TALLY_LEDGER_THREAD',
            }),
          ),
    );
  });
  const serving = await new Promise<Extract<LedgerThreadMessage, { kind: 'serving' }>>((resolve, reject) => {
    worker.on('message', (message: LedgerThreadMessage) => {
      if (message.kind === 'serving') resolve(message);
      if (message.kind === 'failed')
        reject(Object.assign(new Error(message.message), { code: message.code }));
    });
    ended.then(
      () => reject(new Error('the ledger thread ended before serving')),
      (error: unknown) => reject(error),
    );
  }).catch(async (error: unknown) => {
    closing = true;
    await worker.terminate();
    throw error;
  });
  ended.catch((error: unknown) => reportCrash(logger, error));
  let closed: Promise<void> | undefined;
  return {
    url: serving.url,
    port: serving.port,
    ended,
    close: () => {
      closed ??= (async () => {
        closing = true;
        const confirmed = new Promise<void>((resolve) =>
          worker.on('message', (message: LedgerThreadMessage) => message.kind === 'closed' && resolve()),
        );
        worker.postMessage('close');
        await Promise.race([confirmed, ended.catch(() => undefined)]);
        // The log is closed: nothing the thread still holds (gRPC timers) is worth waiting for.
        await worker.terminate();
        await ended.catch(() => undefined);
      })();
      return closed;
    },
  };
}

function reportCrash(logger: Logger | undefined, error: unknown): void {
  logger?.fatal(
    { err: error },
    'the embedded ledger stopped unexpectedly; restart tally (its log is intact)',
  );
}
