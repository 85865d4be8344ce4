/**
 * Failures of the store adapters (reading trees from disk, writing key files), with stable codes.
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
  | 'TALLY_STORE_FILE_EXISTS';

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
  if ((error as NodeJS.ErrnoException)?.code === 'ENOENT') {
    return new StoreError('TALLY_STORE_NOT_FOUND', `${path} does not exist`);
  }
  return error;
}
