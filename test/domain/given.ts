/**
 * Decider tests that read as sentences: `given(history).when(command).then(events)`, or
 * `.thenThrows('TALLY_…')` when the command breaks a rule.
 */
import * as assert from 'uvu/assert';
import type { Decider } from '../../domain/shared/decider.ts';
import { isDomainError } from '../../domain/shared/errors.ts';

export interface When<Event> {
  /** Asserts the command decides exactly these events, and returns them. */
  then(expected: readonly Event[]): readonly Event[];
  /** Asserts the command decides nothing (it is already satisfied). */
  thenNothing(): void;
  /** Asserts the command is refused with this `DomainError` code; returns the error. */
  thenThrows(code: string): Error;
}

/** Binds a decider; the result starts a test from a history of events. */
export function givenFor<Command, Event, State>(decider: Decider<Command, Event, State>) {
  return (history: readonly Event[]) => {
    const state = history.reduce(decider.evolve, decider.initialState);
    return {
      /** The state the history folds into. */
      state,
      when(command: Command): When<Event> {
        return {
          // biome-ignore lint/suspicious/noThenProperty: the given/when/then reading is the point; never awaited.
          then(expected) {
            const events = decider.decide(command, state);
            assert.equal(events, expected);
            return events;
          },
          thenNothing() {
            assert.equal(decider.decide(command, state), []);
          },
          thenThrows(code) {
            try {
              decider.decide(command, state);
            } catch (error) {
              if (!isDomainError(error)) throw error;
              assert.is(error.code, code, error.message);
              return error;
            }
            throw new assert.Assertion({
              message: `expected ${code}, but the command was accepted`,
              operator: 'thenThrows',
              expects: code,
              actual: 'accepted',
            });
          },
        };
      },
    };
  };
}
