/**
 * Writing a compressed NAR to a temporary file while hashing it (the cache names it by that hash),
 * and opening stored files as sized streams that stay valid even if the file is unlinked meanwhile.
 */
import { type FileHandle, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tempName } from './atomic.ts';
import type { SizedStream } from './store.ts';
import { createSha256 } from './store-paths.ts';

/** A temporary compressed NAR being written. */
export interface CompressedTemp {
  readonly temp: string;
  write(frames: readonly Uint8Array[]): Promise<void>;
  /** Flushes to disk and closes; returns `sha256:<nix32>` and the size of what was written. */
  finish(): Promise<{ fileHash: string; fileSize: number }>;
  /** Closes and deletes the file (after a failure). */
  discard(): Promise<void>;
}

export async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let written = 0;
  while (written < chunk.length) {
    written += (await handle.write(chunk, written, chunk.length - written)).bytesWritten;
  }
}

export async function createCompressedTemp(tmpDir: string): Promise<CompressedTemp> {
  const temp = join(tmpDir, tempName('nar-'));
  const handle = await open(temp, 'wx', 0o644);
  const hasher = createSha256();
  let closed = false;
  return {
    temp,
    async write(frames) {
      for (const frame of frames) {
        hasher.update(frame);
        await writeAll(handle, frame);
      }
    },
    async finish() {
      await handle.sync();
      closed = true;
      await handle.close();
      return { fileHash: hasher.digest(), fileSize: hasher.size };
    },
    async discard() {
      if (!closed) await handle.close().catch(() => undefined);
      await rm(temp, { force: true });
    },
  };
}

/** Opens `file` as a stream with its size, or undefined when it does not exist. */
export async function openSized(file: string): Promise<SizedStream | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    return { size, stream: handle.createReadStream({ highWaterMark: 256 * 1024 }) };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
