/**
 * A file store of many small valid paths, written straight in the file store's on-disk layout
 * (see `adapters/store/file-store.ts`) rather than through `addFromDirectory`, which fsyncs twice
 * per path: building 100,000 paths through the port would take minutes of fsyncs that the GC bench
 * and the crash test do not measure. Every record is honest — the real NAR hash and size of the
 * path's content, its real zstd-compressed NAR in the valid-path log — so `verifyStore` passes on
 * the result. Nothing is fsynced: it is a fixture, rebuilt whenever needed.
 */
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { encodeAdd, logHeader } from '../../../adapters/store/valid-log-format.ts';
import { createZstdEncoder } from '../../../adapters/store/zstd.ts';
import { createNarSerializer, printNarHash, toNix32 } from '../../../domain/derivation/index.ts';

/** One path to write: its index and the indices of the paths it refers to (all lower). */
export interface SyntheticPath {
  readonly references: readonly number[];
  /** Milliseconds since the epoch, as the record's `registeredAt`. */
  readonly registeredAt: number;
  /** Extra bytes of content beyond the path's own small text. */
  readonly padding?: number;
  /** Its store path, when it must be a given one (a derivation's output); `syntheticPath` otherwise. */
  readonly path?: string;
}

/** The store path of index `i` under `storeDir` (a hash derived from the index). */
export function syntheticPath(storeDir: string, index: number, seed = 'tally-synthetic'): string {
  const digest = createHash('sha256').update(`${seed}:${index}`).digest().subarray(0, 20);
  return `${storeDir}/${toNix32(new Uint8Array(digest))}-p${index}`;
}

const sha256 = (bytes: Uint8Array) =>
  printNarHash({ algorithm: 'sha256', digest: new Uint8Array(createHash('sha256').update(bytes).digest()) });

/** The NAR of a single regular file with `contents`. */
function narOfFile(contents: Uint8Array): Uint8Array {
  const serializer = createNarSerializer();
  const parts = [
    ...serializer.write({ type: 'file', path: [], executable: false, size: contents.length }),
    ...serializer.write({ type: 'contents', path: [], chunk: contents }),
  ];
  serializer.end();
  return Buffer.concat(parts);
}

/**
 * Writes `paths` (index `i` → its `path`, or `syntheticPath(storeDir, i)`) as valid paths of the file store at
 * `storeDir`/`stateDir`; each path is one read-only file naming its references. Returns the paths.
 */
export async function writeSyntheticStore(
  storeDir: string,
  stateDir: string,
  paths: readonly SyntheticPath[],
  onProgress: (done: number) => void = () => undefined,
): Promise<string[]> {
  for (const dir of ['nar', 'logs', 'roots', 'tmp']) mkdirSync(join(stateDir, dir), { recursive: true });
  const log = openSync(join(stateDir, 'valid.log'), 'wx');
  writeSync(log, logHeader());
  mkdirSync(storeDir, { recursive: true });
  const names = paths.map((spec, index) => spec.path ?? syntheticPath(storeDir, index));
  const encoder = await createZstdEncoder();
  for (const [index, spec] of paths.entries()) {
    const path = names[index]!;
    const references = spec.references.map((reference) => names[reference]!).sort();
    const text = `path ${index}\n${references.join('\n')}\n${'.'.repeat(spec.padding ?? 0)}`;
    const contents = new TextEncoder().encode(text);
    const nar = narOfFile(contents);
    const compressed = Buffer.concat([...encoder.push(nar), encoder.end()]);
    const fileHash = sha256(compressed);
    writeFileSync(path, contents);
    chmodSync(path, 0o444);
    utimesSync(path, 1, 1);
    const record = {
      path,
      narHash: sha256(nar),
      narSize: nar.length,
      references,
      sigs: [],
      file: { compression: 'zstd', fileHash, fileSize: compressed.length },
      registeredAt: spec.registeredAt,
    };
    const baseName = path.slice(storeDir.length + 1);
    writeSync(log, encodeAdd(baseName, fileHash.slice('sha256:'.length), JSON.stringify(record), compressed));
    if ((index + 1) % 5000 === 0) onProgress(index + 1);
  }
  closeSync(log);
  return names;
}
