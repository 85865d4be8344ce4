/**
 * Deciders are written against the commands' types, but a command's fields come from workers, forges
 * and other programs: an event built from them may break its own schema. Stored, it could never be
 * read back, and its stream (every later command on that aggregate) would be stuck. So what a decider
 * made is checked against the catalogue before it is appended.
 */
import { eventRegistry, type TallyEvent } from './events.ts';
import { DomainError } from './shared/errors.ts';

/** Throws `TALLY_EVENT_INVALID`, with each field's problem, for the first event its schema refuses. */
export function assertReadable(events: readonly TallyEvent[], streamId: string): void {
  for (const event of events) {
    const checked = eventRegistry[event.type].data(event.data, 'data');
    if (!checked.ok)
      throw new DomainError(
        'TALLY_EVENT_INVALID',
        `the ${event.type} this command makes for ${streamId} is not well-formed, so nothing was recorded`,
        checked.issues,
      );
  }
}
