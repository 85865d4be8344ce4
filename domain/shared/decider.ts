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
