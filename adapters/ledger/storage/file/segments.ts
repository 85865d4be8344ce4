/**
 * The log's segment files: `segment-000000.log`, `segment-000001.log`, … each at most `segmentSize`
 * bytes. A global position is `segmentNumber * segmentSize + offsetInSegment`, so positions grow
 * strictly and map to a file and offset by one division. Appends go to the last (active) segment
 * with positional writes and an `fdatasync`; on failure the file is cut back to its last durable
 * size, so no half-written bytes stay behind for later appends to build on.
 */
import { closeSync, fdatasync, ftruncate, open, openSync, readdirSync, readSync, write } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { syncDirectory } from './sync-directory.ts';

const openAsync = promisify(open);
const writeAsync = promisify(write);
const fdatasyncAsync = promisify(fdatasync);
const ftruncateAsync = promisify(ftruncate);

const segmentPattern = /^segment-(\d{6,})\.log$/;

/** The file name of segment `segment`. */
export function segmentFileName(segment: number): string {
  return `segment-${String(segment).padStart(6, '0')}.log`;
}

/** The segment numbers present in `directory`, ascending. */
export function listSegments(directory: string): number[] {
  return readdirSync(directory)
    .map((name) => segmentPattern.exec(name)?.[1])
    .filter((digits) => digits !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/** The open segment files, with each one's durable size. */
export class Segments {
  private readonly fds: number[] = [];
  private readonly sizes: number[] = [];
  /** Set when a failed append may have left bytes past the durable size that a truncate has not removed yet. */
  private dirty = false;

  constructor(
    readonly directory: string,
    readonly segmentSize: number,
  ) {}

  /**
   * Opens an existing segment (numbers must be added in order, from 0) with its durable size; `'r'`
   * for a reader that never appends.
   */
  adopt(segment: number, size: number, mode: 'r' | 'r+' = 'r+'): void {
    if (segment !== this.fds.length) throw new Error(`segment ${segment} adopted out of order`);
    this.fds.push(openSync(this.pathOf(segment), mode));
    this.sizes.push(size);
  }

  pathOf(segment: number): string {
    return join(this.directory, segmentFileName(segment));
  }

  get count(): number {
    return this.fds.length;
  }

  get active(): number {
    return this.fds.length - 1;
  }

  sizeOf(segment: number): number {
    return this.sizes[segment] ?? 0;
  }

  /** Durable bytes over all segments. */
  totalBytes(): number {
    return this.sizes.reduce((sum, size) => sum + size, 0);
  }

  /** The position the next record of the active segment would get. */
  headPosition(): number {
    return this.active < 0 ? 0 : this.active * this.segmentSize + this.sizeOf(this.active);
  }

  positionOf(segment: number, offset: number): number {
    return segment * this.segmentSize + offset;
  }

  segmentOf(position: number): number {
    return Math.floor(position / this.segmentSize);
  }

  /** Reads `length` bytes at `position` into `target` (which must have room); throws on a short read. */
  read(position: number, length: number, target: Buffer): void {
    const segment = this.segmentOf(position);
    const fd = this.fds[segment];
    if (fd === undefined) throw new RangeError(`position ${position} is past the end of the log`);
    const offset = position - segment * this.segmentSize;
    let done = 0;
    while (done < length) {
      const got = readSync(fd, target, done, length - done, offset + done);
      if (got === 0)
        throw new RangeError(`position ${position} is past the end of ${segmentFileName(segment)}`);
      done += got;
    }
  }

  /** Creates the next segment and makes its name durable; it becomes the active one. */
  async roll(): Promise<void> {
    const segment = this.fds.length;
    // Truncating flag: a leftover file of a failed roll in this process holds nothing acknowledged.
    const fd = await openAsync(this.pathOf(segment), 'w+');
    try {
      await syncDirectory(this.directory);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    this.fds.push(fd);
    this.sizes.push(0);
    this.dirty = false;
  }

  /**
   * Appends `bytes` to the active segment and syncs them; on any failure cuts the file back to
   * its durable size (and remembers to retry that cut before the next append) and rethrows.
   */
  async append(bytes: Buffer): Promise<void> {
    const segment = this.active;
    const fd = this.fds[segment]!;
    const durable = this.sizes[segment]!;
    try {
      if (this.dirty) await this.cutBack(fd, durable);
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await writeAsync(fd, bytes, done, bytes.length - done, durable + done);
        if (bytesWritten === 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
        done += bytesWritten;
      }
      await fdatasyncAsync(fd);
    } catch (error) {
      this.dirty = true;
      await this.cutBack(fd, durable).catch(() => undefined);
      throw error;
    }
    this.sizes[segment] = durable + bytes.length;
  }

  private async cutBack(fd: number, size: number): Promise<void> {
    await ftruncateAsync(fd, size);
    // Synced so that a crash cannot bring back bytes whose write was reported as failed.
    await fdatasyncAsync(fd);
    this.dirty = false;
  }

  closeAll(): void {
    for (const fd of this.fds.splice(0)) closeSync(fd);
  }
}
