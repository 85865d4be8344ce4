/**
 * The persisted stream index (`index.snapshot`), so that a restart reads one file instead of the
 * whole log. It holds the index's arrays and the log position it covers; at open, only the log
 * after that position is scanned. It is written to a temporary file, synced, renamed over the old
 * one and the directory synced, so a crash leaves either the old snapshot or the new one.
 *
 * Layout (little-endian, as the typed arrays are stored in host order and every supported host is
 * little-endian):
 *
 *   0  8 magic "TLYINDX1"        32  8 record count n
 *   8  4 crc32 of bytes [12, end) 40  8 stream count s
 *  12  4 version (1)             48  8 bytes of stream ids
 *  16  8 segment size             56    positions (8n), lengths (4n), stream numbers (4n),
 *  24  8 covered log position           stream id byte lengths (4s), stream ids (UTF-8)
 */
import { readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { IndexContent } from './position-index.ts';
import { syncDirectory } from './sync-directory.ts';

export const snapshotFileName = 'index.snapshot';
const magic = 'TLYINDX1';
const version = 1;
const headerSize = 56;

/** A snapshot: the index content of every record before `coveredPosition`. */
export interface IndexSnapshot {
  readonly segmentSize: number;
  readonly coveredPosition: number;
  readonly content: IndexContent;
}

/** Serializes `snapshot`. */
export function encodeSnapshot(snapshot: IndexSnapshot): Buffer {
  const { positions, lengths, streamNumbers, streamIds } = snapshot.content;
  const count = positions.length;
  const ids = streamIds.map((id) => Buffer.from(id, 'utf8'));
  const idLengths = Uint32Array.from(ids, (id) => id.length);
  const idBytes = ids.reduce((sum, id) => sum + id.length, 0);
  const parts = [
    Buffer.alloc(headerSize),
    bytesOf(positions),
    bytesOf(lengths),
    bytesOf(streamNumbers),
    bytesOf(idLengths),
    ...ids,
  ];
  const header = parts[0]!;
  header.write(magic, 0, 'latin1');
  header.writeUInt32LE(version, 12);
  header.writeDoubleLE(snapshot.segmentSize, 16);
  header.writeDoubleLE(snapshot.coveredPosition, 24);
  header.writeDoubleLE(count, 32);
  header.writeDoubleLE(ids.length, 40);
  header.writeDoubleLE(idBytes, 48);
  const file = Buffer.concat(parts);
  file.writeUInt32LE(crc32(file.subarray(12)), 8);
  return file;
}

/** Parses a snapshot file's bytes; returns why it is unusable instead of throwing. */
export function decodeSnapshot(file: Buffer): IndexSnapshot | { readonly invalid: string } {
  if (file.length < headerSize || file.toString('latin1', 0, 8) !== magic)
    return { invalid: 'not a snapshot' };
  if (file.readUInt32LE(12) !== version) return { invalid: `unknown version ${file.readUInt32LE(12)}` };
  if (crc32(file.subarray(12)) !== file.readUInt32LE(8)) return { invalid: 'checksum mismatch' };
  const count = file.readDoubleLE(32);
  const streamCount = file.readDoubleLE(40);
  const idBytes = file.readDoubleLE(48);
  if (file.length !== headerSize + 16 * count + 4 * streamCount + idBytes) return { invalid: 'wrong size' };
  let at = headerSize;
  const take = (bytes: number): Buffer => {
    at += bytes;
    return file.subarray(at - bytes, at);
  };
  const positions = new Float64Array(arrayOf(take(8 * count)));
  const lengths = new Uint32Array(arrayOf(take(4 * count)));
  const streamNumbers = new Uint32Array(arrayOf(take(4 * count)));
  const idLengths = new Uint32Array(arrayOf(take(4 * streamCount)));
  const streamIds = Array.from(idLengths, (length) => take(length).toString('utf8'));
  return {
    segmentSize: file.readDoubleLE(16),
    coveredPosition: file.readDoubleLE(24),
    content: { positions, lengths, streamNumbers, streamIds },
  };
}

/** Reads the snapshot in `directory`: `undefined` if there is none, `{ invalid }` if it is unusable. */
export function loadSnapshot(directory: string): IndexSnapshot | { readonly invalid: string } | undefined {
  let file: Buffer;
  try {
    file = readFileSync(join(directory, snapshotFileName));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { invalid: `unreadable (${(error as Error).message})` };
  }
  return decodeSnapshot(file);
}

/** Writes `snapshot` into `directory` atomically and durably. */
export async function writeSnapshot(directory: string, snapshot: IndexSnapshot): Promise<void> {
  const target = join(directory, snapshotFileName);
  const temporary = `${target}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(encodeSnapshot(snapshot));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, target);
  await syncDirectory(directory);
}

function bytesOf(array: Float64Array | Uint32Array): Buffer {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}

/** A fresh, aligned copy of `bytes`, which typed arrays can view whatever its offset in the file. */
function arrayOf(bytes: Buffer): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.length);
  new Uint8Array(copy).set(bytes);
  return copy;
}
