/**
 * The attempts a dispatcher has seen end, by id, so that a report arriving afterwards (a worker that
 * answers twice, or late, after its build was requeued) still reaches the build's stream, where it
 * is recorded as ignored rather than silently dropped. Bounded: the oldest are forgotten first.
 */
export class EndedAttempts<A> {
  readonly #byId = new Map<string, A>();
  readonly #limit: number;

  constructor(limit = 10_000) {
    this.#limit = limit;
  }

  remember(attemptId: string, attempt: A): void {
    this.#byId.delete(attemptId);
    this.#byId.set(attemptId, attempt);
    if (this.#byId.size > this.#limit) {
      const oldest = this.#byId.keys().next().value;
      if (oldest !== undefined) this.#byId.delete(oldest);
    }
  }

  /** The ended attempt of this id, or undefined for one never seen or already forgotten. */
  get(attemptId: string): A | undefined {
    return this.#byId.get(attemptId);
  }
}
