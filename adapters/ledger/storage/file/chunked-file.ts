/**
 * Sequential reading of a segment in large chunks, for the startup scan: one `pread` per chunk
 * instead of one per record, with a window that can be asked to hold any record whole.
 */
import { readSync } from 'node:fs';

const defaultChunkSize = 8 * 1024 * 1024;

export class ChunkedFile {
  /** The buffered bytes; `start` is the file offset of `buffer[0]`. Replaced when a window needs more room. */
  buffer: Buffer;
  private start = 0;
  private end = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
    chunkSize = defaultChunkSize,
  ) {
    this.buffer = Buffer.allocUnsafe(Math.min(chunkSize, Math.max(size, 1)));
  }

  /**
   * Buffers `[offset, offset + length)` as far as the file has it. Returns where `offset` lies in
   * `buffer` and how many bytes from there are buffered (fewer than `length` only at end of file).
   */
  window(offset: number, length: number): { readonly at: number; readonly available: number } {
    const wanted = Math.min(length, this.size - offset);
    if (offset < this.start || offset + wanted > this.end) this.fill(offset, wanted);
    return { at: offset - this.start, available: this.end - offset };
  }

  private fill(offset: number, wanted: number): void {
    if (wanted > this.buffer.length) this.buffer = Buffer.allocUnsafe(wanted);
    const length = Math.min(this.buffer.length, this.size - offset);
    let done = 0;
    while (done < length) {
      const got = readSync(this.fd, this.buffer, done, length - done, offset + done);
      if (got === 0) break;
      done += got;
    }
    this.start = offset;
    this.end = offset + done;
  }
}
