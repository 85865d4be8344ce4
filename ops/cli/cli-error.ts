/**
 * Failures of the command line itself (not of a service it talks to), with stable codes that
 * `failure.ts` prints for the user and scripts.
 */

/** Every code a `CliError` can carry. */
export type CliErrorCode =
  /** No ledger runs for the data directory, and no --eventstore was given. */
  | 'TALLY_CLI_NO_LEDGER'
  /** The data directory holds no store (no server ever ran on it). */
  | 'TALLY_CLI_NO_STORE'
  /** `tally ledger serve` found another ledger already running for the data directory. */
  | 'TALLY_CLI_LEDGER_RUNNING'
  /** Options that do not go together or do not parse. */
  | 'TALLY_CLI_INVALID_OPTION'
  /** `--isolation bwrap` on a machine where bubblewrap cannot run a sandbox. */
  | 'TALLY_CLI_ISOLATION_UNAVAILABLE'
  /** `tally eval --poll`: a channel could not be fetched. */
  | 'TALLY_CLI_POLL_FAILED';

export class CliError extends Error {
  constructor(
    readonly code: CliErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
