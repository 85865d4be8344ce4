/**
 * The store port: the outputs in the store directory plus Tally's record of each valid path (NAR
 * hash and size, references, deriver, signatures, content address), the compressed NAR kept for the
 * binary cache, build logs per attempt, and GC roots. A path is valid only once its content and its
 * compressed NAR are complete: the record is written last.
 *
 * Paths are full store paths (`<storeDir>/<hash>-<name>`); anything else is refused with
 * `TALLY_STORE_BAD_PATH`.
 */
import type { Readable } from 'node:stream';
import type { LiveLog, ReadLogOptions, StoredLog } from './logs.ts';

/** What the store knows of one valid path. */
export interface ValidPathInfo {
  readonly path: string;
  /** `sha256:<nix32>` of the uncompressed NAR. */
  readonly narHash: string;
  readonly narSize: number;
  /** Full store paths, sorted; the path itself when it refers to itself. */
  readonly references: readonly string[];
  /** Full path of the `.drv` that built it. */
  readonly deriver?: string;
  /** `name:base64` signatures over the path's fingerprint (the farm's own is added when serving). */
  readonly sigs: readonly string[];
  /** Content address (`fixed:r:sha256:…`, `text:sha256:…`) of a content-addressed path. */
  readonly ca?: string;
  /** The compressed NAR the binary cache serves. */
  readonly file: CompressedNar;
  /** Milliseconds since the epoch when the path became valid. */
  readonly registeredAt: number;
}

/** The compressed NAR of a valid path. */
export interface CompressedNar {
  readonly compression: 'zstd';
  /** `sha256:<nix32>` of the compressed bytes; its nix32 part names the file in the cache. */
  readonly fileHash: string;
  readonly fileSize: number;
}

/** What a caller states about a path it adds; the store checks the NAR against it. */
export interface PathMetadata {
  readonly path: string;
  readonly references?: readonly string[];
  readonly deriver?: string;
  readonly sigs?: readonly string[];
  readonly ca?: string;
}

/** What an import must match: the NAR hash and size are required, as Nix requires them. */
export interface ExpectedPathInfo extends PathMetadata {
  readonly narHash: string;
  readonly narSize: number;
}

/** An uncompressed NAR as a stream, or a zstd-compressed NAR in a file. */
export type NarSource = AsyncIterable<Uint8Array> | { readonly zstdFile: string };

/** A stream and its length, for serving with a Content-Length. */
export interface SizedStream {
  readonly size: number;
  readonly stream: Readable;
}

/** A reason to keep a path through garbage collection. */
export interface GcRoot {
  readonly name: string;
  readonly path: string;
  readonly createdAt: number;
}

/** The store of valid paths. */
export interface Store {
  /** The store directory every path lives in (part of each path's hash). */
  readonly storeDir: string;
  /** True when `path` is valid. */
  has(path: string): Promise<boolean>;
  /** The record of a valid path, or undefined. */
  info(path: string): Promise<ValidPathInfo | undefined>;
  /** The record of the valid path with this 32-character hash part (what a narinfo URL names). */
  infoByHashPart(hashPart: string): Promise<ValidPathInfo | undefined>;
  /**
   * Registers a path already built in place in the store directory: hashes and compresses its NAR.
   * Its references must be valid (or the path itself). Returns the existing record if already valid.
   */
  addFromDirectory(metadata: PathMetadata): Promise<ValidPathInfo>;
  /**
   * Unpacks a NAR into the store and registers it, after checking it against `expected` (hash,
   * size, references valid). On any failure nothing is left behind. Idempotent for a valid path.
   * Given a zstd file instead of a stream, the store decompresses it itself and keeps that very
   * file as the path's compressed NAR (so an uploader's narinfo URL stays right).
   */
  importNar(nar: NarSource, expected: ExpectedPathInfo): Promise<ValidPathInfo>;
  /** The NAR of a valid path: the stored zstd file, or the uncompressed NAR dumped from disk. */
  narStream(path: string, options?: { readonly compressed?: boolean }): Promise<SizedStream>;
  /** The compressed NAR whose file hash (nix32 part) is `fileHash`, or undefined. */
  compressedNar(fileHash: string): Promise<SizedStream | undefined>;
  /** Makes a path invalid first, then deletes its content and compressed NAR. */
  remove(path: string): Promise<void>;
  /** Every valid path's record, in no particular order. */
  list(): AsyncIterable<ValidPathInfo>;
  /** Stores the log of one attempt to build `drvPath` (compressed; replaces an earlier one). */
  writeLog(drvPath: string, attempt: number, log: AsyncIterable<Uint8Array>): Promise<void>;
  /**
   * Opens the log of an attempt to write it while the build runs: plain bytes in `<attempt>.live`,
   * readable as they come, compressed into place by `close`. A live log of another attempt of the
   * same derivation that nothing writes any more (a crash left it) is compressed first.
   */
  openLog(drvPath: string, attempt: number): Promise<LiveLog>;
  /**
   * The log of an attempt (the latest, finished or live, when `attempt` is omitted), decompressed,
   * or undefined; `live` when it has not been closed (still written, or left by a crash). With
   * `follow`, a live log streams until its writer closes it.
   */
  readLog(drvPath: string, attempt?: number, options?: ReadLogOptions): Promise<StoredLog | undefined>;
  /** Records `name` as a GC root keeping `path` (replacing a root of the same name). */
  addRoot(name: string, path: string): Promise<void>;
  /** Removes a GC root; no error if it did not exist. */
  removeRoot(name: string): Promise<void>;
  /** Every GC root. */
  roots(): Promise<GcRoot[]>;
}
