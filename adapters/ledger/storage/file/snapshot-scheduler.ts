/**
 * Decides when to persist the index: in the background after every `everyBytes` of new log (so a
 * crash costs a bounded scan at the next start), and once more on close. Taking the snapshot's
 * content is a copy of typed arrays; the slow part, writing and syncing, runs while appends go on.
 */
import type { Logger } from 'pino';
import { type IndexSnapshot, writeSnapshot } from './index-snapshot.ts';

export class SnapshotScheduler {
  private running: Promise<void> | undefined;
  private bytesSince: number;
  private coveredPosition: number;

  constructor(
    private readonly directory: string,
    private readonly everyBytes: number,
    private readonly take: () => IndexSnapshot,
    private readonly headPosition: () => number,
    private readonly hooks: {
      readonly logger?: Logger | undefined;
      readonly onWritten?: ((coveredPosition: number) => void) | undefined;
    },
    coveredPosition: number,
  ) {
    this.coveredPosition = coveredPosition;
    this.bytesSince = headPosition() - coveredPosition;
  }

  /** Counts `bytes` of new durable log and starts a background snapshot when enough have gathered. */
  noteWritten(bytes: number): void {
    this.bytesSince += bytes;
    if (this.bytesSince >= this.everyBytes && !this.running) this.start();
  }

  /** Waits for a running snapshot, then writes a last one if the log has grown since. */
  async finish(): Promise<void> {
    await this.running;
    if (this.headPosition() !== this.coveredPosition) {
      this.start();
      await this.running;
    }
  }

  private start(): void {
    const snapshot = this.take();
    this.bytesSince = 0;
    this.running = writeSnapshot(this.directory, snapshot)
      .then(() => {
        this.coveredPosition = snapshot.coveredPosition;
        this.hooks.onWritten?.(snapshot.coveredPosition);
      })
      .catch((error: unknown) => {
        this.hooks.logger?.warn(
          { err: error },
          'could not write the index snapshot: the next start scans more log',
        );
      })
      .finally(() => {
        this.running = undefined;
      });
  }
}
