/**
 * Refusals the command routes raise themselves, outside the domain's and the API's catalogs. The error
 * handler recognises them by shape (a `TALLY_…` code and a status), like a `DomainError`.
 */

/** Every code a `CommandRefused` carries, with its status and what to do next. */
export const commandRefusals = {
  /** A manual evaluation of a specification whose channels have not been polled once yet. */
  TALLY_SPEC_NOT_POLLED_YET: {
    status: 409,
    next: 'Wait for the first poll of its channels, then ask again.',
  },
  /** A manual evaluation of a deactivated specification: the farm evaluates active ones only. */
  TALLY_SPEC_INACTIVE: {
    status: 409,
    next: 'Activate it first (POST /api/specs/NAME/activate), then ask again.',
  },
} as const;

export type CommandRefusalCode = keyof typeof commandRefusals;

/** A command the route refuses before the domain is asked. */
export class CommandRefused extends Error {
  readonly status: number;

  constructor(
    readonly code: CommandRefusalCode,
    problem: string,
  ) {
    super(`${problem}. ${commandRefusals[code].next}`);
    this.name = 'CommandRefused';
    this.status = commandRefusals[code].status;
  }
}
