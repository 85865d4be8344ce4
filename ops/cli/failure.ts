/**
 * Turns an error that escaped a command into one line for the user and an exit code. Errors that carry
 * a stable `code` (TALLY_…) print it, so scripts and users can look it up; anything else is a bug and
 * prints its stack.
 */
export function reportFailure(error: unknown): number {
  if (
    error instanceof Error &&
    'code' in error &&
    typeof error.code === 'string' &&
    error.code.startsWith('TALLY_')
  ) {
    console.error(`tally: ${error.message} [${error.code}]`);
    return 1;
  }
  console.error('tally: unexpected failure; please report it with the lines below');
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return 70;
}
