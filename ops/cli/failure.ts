/** What a file system error means for the path it names, and what to check. */
const fileProblems: Readonly<Record<string, string>> = {
  ENOENT: 'it does not exist',
  ENOTDIR: 'a part of it is a file, not a directory',
  EISDIR: 'it is a directory, not a file',
  EEXIST: 'it exists and is not a directory',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted there',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
};

/**
 * Turns an error that escaped a command into one line for the user and an exit code. Errors that carry
 * a stable `code` (TALLY_…) print it, so scripts and users can look it up; a file the command could
 * not use is named with why; anything else is a bug and prints its stack.
 */
export function reportFailure(error: unknown): number {
  const { code, path } = (error ?? {}) as { code?: unknown; path?: unknown };
  if (typeof code === 'string' && typeof path === 'string' && Object.hasOwn(fileProblems, code)) {
    console.error(
      `tally: cannot use ${path}: ${fileProblems[code]}; check the path given (--data, --dir, a file argument) and its permissions [TALLY_CLI_FILE_ACCESS]`,
    );
    return 1;
  }
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
