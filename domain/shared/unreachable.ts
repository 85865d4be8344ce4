/**
 * Ends every exhaustive switch: the compiler proves the default branch cannot be reached, and if
 * stored data proves it wrong at run time the error names the value.
 */
export function unreachable(value: never): never {
  throw new Error(`unreachable: unexpected value ${JSON.stringify(value)}`);
}
