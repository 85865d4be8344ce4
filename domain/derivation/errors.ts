/**
 * The one error type of the derivation model. Every failure on hostile input (a `.drv`, a NAR, a
 * narinfo, a key, a store path) is a `DerivationError` with a stable code, and, where the input is
 * bytes, the offset of the first byte that could not be accepted.
 */

/** Every code a `DerivationError` can carry. */
export type DerivationErrorCode =
  /** A `.drv` file is not well-formed ATerm in Nix's derivation shape. */
  | 'TALLY_DRV_PARSE'
  /** A derivation parses but breaks one of Nix's rules (mixed output kinds, a missing attribute…). */
  | 'TALLY_DRV_INVALID'
  /** A hash string has the wrong length, alphabet or algorithm. */
  | 'TALLY_HASH_INVALID'
  /** A store path or store path name that Nix would refuse. */
  | 'TALLY_STORE_PATH_INVALID'
  /** The input does not start with the NAR magic string. */
  | 'TALLY_NAR_NOT_A_NAR'
  /** A NAR token that is not allowed at this point of the grammar. */
  | 'TALLY_NAR_UNKNOWN_TOKEN'
  /** A directory entry name that is empty, `.`, `..`, contains `/` or NUL, or is not UTF-8. */
  | 'TALLY_NAR_BAD_NAME'
  /** Directory entries not in strictly increasing byte order. */
  | 'TALLY_NAR_UNSORTED'
  /** The same name twice in one directory. */
  | 'TALLY_NAR_DUPLICATE'
  /** A symlink target that is empty, contains NUL, is too long or is not UTF-8. */
  | 'TALLY_NAR_BAD_TARGET'
  /** Padding after a string or file contents that is not all zero bytes. */
  | 'TALLY_NAR_BAD_PADDING'
  /** The input ended before the archive was complete. */
  | 'TALLY_NAR_TRUNCATED'
  /** Bytes after the end of the archive. */
  | 'TALLY_NAR_TRAILING_DATA'
  /** A length beyond what Tally accepts (file size past 2^53, strings past their limit). */
  | 'TALLY_NAR_TOO_LARGE'
  /** Directories nested deeper than Tally accepts. */
  | 'TALLY_NAR_TOO_DEEP'
  /** Serializer input events that do not describe one well-formed tree. */
  | 'TALLY_NAR_BAD_EVENT'
  /** A narinfo file that Nix would call corrupt. */
  | 'TALLY_NARINFO_INVALID'
  /** A key or signature not in Nix's `name:base64` format, or of the wrong size. */
  | 'TALLY_KEY_INVALID';

export class DerivationError extends Error {
  constructor(
    readonly code: DerivationErrorCode,
    message: string,
    /** Byte offset in the input where the problem was found, when the input is bytes. */
    readonly offset?: number,
  ) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
    this.name = 'DerivationError';
  }
}

/** True for errors of the derivation model, whatever their code. */
export function isDerivationError(error: unknown): error is DerivationError {
  return error instanceof DerivationError;
}
