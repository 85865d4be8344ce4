/**
 * The shape of every aggregate: an initial state, a pure `evolve` that folds one event into the
 * state, and a pure `decide` that turns a command and the current state into new events (or throws a
 * `DomainError` when the command breaks a rule).
 */

/** One aggregate's decision logic, in the emmett style. */
export interface Decider<Command, Event, State> {
  /** The state of a stream with no events. */
  readonly initialState: State;
  /** The state after one more event; returns `state` itself for events that change nothing. */
  evolve(state: State, event: Event): State;
  /** The events a command produces in this state; `[]` when it is already satisfied. */
  decide(command: Command, state: State): readonly Event[];
}

/** Folds a history into a state with a decider's `evolve`. */
export function fold<Command, Event, State>(
  decider: Decider<Command, Event, State>,
  events: readonly Event[],
): State {
  return events.reduce(decider.evolve, decider.initialState);
}

/**
 * A decider that takes several commands at once and decides them in order, each on the state the
 * previous ones left: their events are appended together, so no reader ever sees the state between
 * them (a build queued and substituted in one step is never seen queued).
 */
export function inSequence<Command, Event, State>(
  decider: Decider<Command, Event, State>,
): Decider<readonly Command[], Event, State> {
  return {
    initialState: decider.initialState,
    evolve: decider.evolve,
    decide(commands, state) {
      const events: Event[] = [];
      let current = state;
      for (const command of commands) {
        const decided = decider.decide(command, current);
        events.push(...decided);
        current = decided.reduce(decider.evolve, current);
      }
      return events;
    },
  };
}
