/**
 * Failures of the store adapters (reading trees from disk, writing key files, the store of valid
 * paths), with stable codes.
 */

/** Every code a `StoreError` can carry. */
export type StoreErrorCode =
  /** The path given does not exist. */
  | 'TALLY_STORE_NOT_FOUND'
  /** A file that a NAR cannot hold: a socket, a device, a FIFO. */
  | 'TALLY_STORE_UNSUPPORTED_FILE'
  /** A file changed size while it was being read. */
  | 'TALLY_STORE_FILE_CHANGED'
  /** A file that must be created already exists; nothing was overwritten. */
  | 'TALLY_STORE_FILE_EXISTS'
  /** A path outside the store directory, with `..`, or whose name Nix would refuse. */
  | 'TALLY_STORE_BAD_PATH'
  /** A NAR whose hash or size is not the one announced. */
  | 'TALLY_STORE_HASH_MISMATCH'
  /** A path refers to paths that are not valid in the store. */
  | 'TALLY_STORE_MISSING_REFERENCE'
  /** Compressed data (a zstd NAR, a gzip log) that does not decompress. */
  | 'TALLY_STORE_BAD_COMPRESSION'
  /** A record of the store (a valid path, a GC root) that does not parse. */
  | 'TALLY_STORE_CORRUPT_RECORD'
  /** The valid-path log is damaged before its end (not a write cut short by a crash). */
  | 'TALLY_STORE_DAMAGED_LOG'
  /** Another process has held the store's write lock for too long. */
  | 'TALLY_STORE_LOCKED'
  /** An argument that is not acceptable: a log attempt below 1, a root name with a slash. */
  | 'TALLY_STORE_BAD_ARGUMENT';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** Turns ENOENT into `TALLY_STORE_NOT_FOUND`; other errors pass unchanged. */
export function translateFsError(error: unknown, path: string): unknown {
  const failed = error as NodeJS.ErrnoException | undefined;
  if (failed?.code === 'ENOENT') {
    return new StoreError('TALLY_STORE_NOT_FOUND', `${path} does not exist`);
  }
  // Some calls (reading through a file handle) leave out which path failed: name it for the user.
  if (typeof failed?.code === 'string' && failed.path === undefined) failed.path = path;
  return error;
}
