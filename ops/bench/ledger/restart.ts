/**
 * Workload 5: how long a ledger holding the loaded store takes to serve again after it is stopped,
 * cleanly (SIGTERM, which lets it persist what speeds up the next start) or not (SIGKILL, so it must
 * recover from the log alone). "Serving" means a client read of the head of `$all` succeeds.
 */
import type { Position } from '@eventstore/db-client';
import { connect, disposeClient } from './client.ts';
import { headPosition } from './reads.ts';
import type { LedgerProcess } from './server-process.ts';
import { restart } from './workloads.ts';

export interface RestartResult {
  readonly ledger: LedgerProcess;
  /** From spawning the new process to the first successful read. */
  readonly servingMs: number;
  /** How long the old process took to exit after the signal. */
  readonly stopMs: number;
  /** From spawning to the new process logging its URL. */
  readonly announcedMs: number;
  /** Whether the head of `$all` after the restart is the one before it (nothing acknowledged was lost). */
  readonly sameHead: boolean;
}

export async function restartLedger(
  running: LedgerProcess,
  signal: 'SIGTERM' | 'SIGKILL',
  start: () => Promise<LedgerProcess>,
  headBefore: Position,
): Promise<RestartResult> {
  const stopped = await running.stop(signal, restart.timeLimitMs);
  const spawnedAt = performance.now();
  const ledger = await start();
  const announcedMs = performance.now() - spawnedAt;
  for (;;) {
    const client = connect(ledger.url);
    try {
      const head = await headPosition(client);
      return {
        ledger,
        servingMs: performance.now() - spawnedAt,
        stopMs: stopped.ms,
        announcedMs,
        sameHead: head.commit === headBefore.commit,
      };
    } catch (error) {
      if (performance.now() - spawnedAt > restart.timeLimitMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      await disposeClient(client);
    }
  }
}
