/**
 * Zstandard for NARs without native code: compression through a wasm build of libzstd, one frame per
 * 4 MiB of input (a zstd stream may be any number of concatenated frames, and every decoder, Nix's
 * included, reads them as one), so memory stays bounded whatever the NAR's size; decompression
 * through fzstd, a streaming decoder in plain JavaScript.
 */
import { compress, init } from '@bokuweb/zstd-wasm';
import { Decompress } from 'fzstd';
import { StoreError } from './errors.ts';

/** Input per frame: large enough for a good ratio, small enough to keep memory flat. */
const frameInputBytes = 4 << 20;

/** libzstd's default level: fast, and within a few percent of the best ratios on binaries. */
const level = 3;

let ready: Promise<void> | undefined;

/** Push-style compressor: `push` returns the frames completed so far, `end` the last one. */
export interface ZstdEncoder {
  push(chunk: Uint8Array): Uint8Array[];
  end(): Uint8Array;
}

/** A new encoder; loads the wasm module once per process. */
export async function createZstdEncoder(): Promise<ZstdEncoder> {
  ready ??= init();
  await ready;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = () => {
    const input = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    return compress(input, level);
  };
  return {
    push(chunk) {
      const frames: Uint8Array[] = [];
      let rest = chunk;
      while (rest.length > 0) {
        const take = Math.min(rest.length, frameInputBytes - pendingBytes);
        // Copied: the caller may reuse its buffer before the frame is full.
        pending.push(rest.slice(0, take));
        pendingBytes += take;
        rest = rest.subarray(take);
        if (pendingBytes === frameInputBytes) frames.push(flush());
      }
      return frames;
    },
    // An empty input still gets one (empty) frame: a zero-byte file is not a valid zstd stream.
    end: flush,
  };
}

/** Compresses a stream of chunks into a stream of zstd frames. */
export async function* compressZstd(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const encoder = await createZstdEncoder();
  for await (const chunk of chunks) yield* encoder.push(chunk);
  yield encoder.end();
}

/** Decompresses a zstd stream (any number of frames); a corrupt or truncated one is a `StoreError`. */
export async function* decompressZstd(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let out: Uint8Array[] = [];
  let ended = false;
  const decoder = new Decompress((data, final) => {
    if (data.length > 0) out.push(data);
    if (final) ended = true;
  });
  const push = (chunk: Uint8Array, final: boolean) => {
    try {
      decoder.push(chunk, final);
    } catch (error) {
      throw new StoreError(
        'TALLY_STORE_BAD_COMPRESSION',
        `not a valid zstd stream: ${(error as Error).message}`,
      );
    }
  };
  for await (const chunk of chunks) {
    // fzstd may keep references to pushed chunks: copy, as a stream may reuse its buffers.
    push(chunk.slice(), false);
    yield* out;
    out = [];
  }
  push(new Uint8Array(0), true);
  yield* out;
  if (!ended) throw new StoreError('TALLY_STORE_BAD_COMPRESSION', 'the zstd stream is truncated');
}
