/**
 * A NAR written straight into large chunks: the fast path for a producer that already walks one
 * well-formed tree in NAR order (the file-system walk), where the event serializer's checks and its
 * one small array per token would cost more than the archive itself.
 *
 * Tokens are copied into the current chunk; file contents are read by the caller directly into the
 * chunk's free room (`room()`, then `advance(n)`), so they are never copied in user space. Full chunks
 * wait in `take()`; each is a fresh buffer, never written again once handed out, so a consumer may keep
 * it. The writer does not check structure, names or targets: its caller must (see `nameProblem`,
 * `targetProblem`), or use `createNarSerializer`, which does.
 */
import { utf8 } from './bytes.ts';
import { narMagic } from './nar-events.ts';

/** Where file contents may be written next: `buffer[offset … offset + length)`. */
export interface NarRoom {
  readonly buffer: Uint8Array;
  readonly offset: number;
  readonly length: number;
}

export interface NarWriter {
  /** `nix-archive-1`, before the root node. */
  magic(): void;
  /** `entry ( name <name> node`, before an entry's node; `name` as raw UTF-8 bytes. */
  entry(name: Uint8Array): void;
  /** `)` closing an entry, after its node. */
  entryEnd(): void;
  /** `( type directory`; its entries follow, then `nodeEnd()`. */
  directory(): void;
  /** `)` closing a directory node. */
  nodeEnd(): void;
  /** `( type symlink target <target> )`, a whole node. */
  symlink(target: Uint8Array): void;
  /** `( type regular [executable ""] contents <size>`; `size` bytes follow, then `fileEnd(size)`. */
  file(executable: boolean, size: number): void;
  /** Free room in the current chunk for file contents: at least one byte. */
  room(): NarRoom;
  /** Records that `count` bytes were written at the start of the last `room()`. */
  advance(count: number): void;
  /** Padding after `size` bytes of contents and the `)` closing the file node. */
  fileEnd(size: number): void;
  /** The chunks filled since the last call, in order (often none). */
  take(): Uint8Array[];
  /** The last, partly filled chunk (if any bytes are in it), after which the writer is spent. */
  finish(): Uint8Array[];
  /** Bytes written so far. */
  readonly size: number;
}

export interface NarWriterOptions {
  /** Size of each chunk; default 1 MiB. */
  readonly chunkSize?: number;
  /** Allocates a chunk; its bytes need not be zeroed (padding is written explicitly). */
  readonly allocate?: (size: number) => Uint8Array;
}

/** A partly filled last chunk smaller than this fraction of a chunk is copied out, so that a small NAR does not pin a whole chunk. */
const copyOutBelow = 1 / 4;

function nixString(value: string): Uint8Array {
  const bytes = utf8(value);
  const out = new Uint8Array(8 + bytes.length + ((8 - (bytes.length % 8)) % 8));
  new DataView(out.buffer).setUint32(0, bytes.length, true);
  out.set(bytes, 8);
  return out;
}

const strings = (...values: string[]): Uint8Array => {
  const parts = values.map(nixString);
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};

const magicBytes = strings(narMagic);
const entryStart = strings('entry', '(', 'name');
const nodeToken = strings('node');
const directoryStart = strings('(', 'type', 'directory');
const symlinkStart = strings('(', 'type', 'symlink', 'target');
const regularStart = strings('(', 'type', 'regular', 'contents');
const executableStart = strings('(', 'type', 'regular', 'executable', '', 'contents');
const close = strings(')');

function copyOf(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}

export function createNarWriter(options: NarWriterOptions = {}): NarWriter {
  const chunkSize = options.chunkSize ?? 1 << 20;
  const allocate = options.allocate ?? ((size: number) => new Uint8Array(size));
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 8)
    throw new RangeError(`bad NAR chunk size ${chunkSize}`);
  let chunk = allocate(chunkSize);
  let at = 0;
  let full: Uint8Array[] = [];
  let flushed = 0;

  const flush = () => {
    full.push(chunk);
    flushed += chunk.length;
    chunk = allocate(chunkSize);
    at = 0;
  };

  const put = (bytes: Uint8Array) => {
    if (chunkSize - at >= bytes.length) {
      chunk.set(bytes, at);
      at += bytes.length;
      return;
    }
    let from = 0;
    while (from < bytes.length) {
      if (at === chunkSize) flush();
      const count = Math.min(chunkSize - at, bytes.length - from);
      chunk.set(bytes.subarray(from, from + count), at);
      at += count;
      from += count;
    }
  };

  const scratch = new Uint8Array(8);
  const scratchView = new DataView(scratch.buffer);

  /** A u64 little-endian; the sizes here are below 2^53, written as two u32 halves. */
  const putLength = (value: number) => {
    scratchView.setUint32(0, value % 0x1_0000_0000, true);
    scratchView.setUint32(4, Math.floor(value / 0x1_0000_0000), true);
    put(scratch);
  };

  const putPadding = (length: number) => {
    let pad = (8 - (length % 8)) % 8;
    while (pad > 0) {
      if (at === chunkSize) flush();
      const count = Math.min(pad, chunkSize - at);
      chunk.fill(0, at, at + count);
      at += count;
      pad -= count;
    }
  };

  const putString = (bytes: Uint8Array) => {
    putLength(bytes.length);
    put(bytes);
    putPadding(bytes.length);
  };

  return {
    magic: () => put(magicBytes),
    entry(name) {
      put(entryStart);
      putString(name);
      put(nodeToken);
    },
    entryEnd: () => put(close),
    directory: () => put(directoryStart),
    nodeEnd: () => put(close),
    symlink(target) {
      put(symlinkStart);
      putString(target);
      put(close);
    },
    file(executable, size) {
      put(executable ? executableStart : regularStart);
      putLength(size);
    },
    room() {
      if (at === chunkSize) flush();
      return { buffer: chunk, offset: at, length: chunkSize - at };
    },
    advance(count) {
      if (!Number.isInteger(count) || count < 0 || at + count > chunkSize) {
        throw new RangeError(`cannot advance ${count} bytes with ${chunkSize - at} free`);
      }
      at += count;
    },
    fileEnd(size) {
      putPadding(size);
      put(close);
    },
    take() {
      if (full.length === 0) return full;
      const taken = full;
      full = [];
      return taken;
    },
    finish() {
      const rest = full;
      if (at > 0)
        rest.push(at < chunkSize * copyOutBelow ? copyOf(chunk.subarray(0, at)) : chunk.subarray(0, at));
      flushed += at;
      full = [];
      chunk = new Uint8Array(0);
      at = 0;
      return rest;
    },
    get size() {
      return flushed + at;
    },
  };
}
