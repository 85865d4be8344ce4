/**
 * The vocabulary of the run queue: what the dispatcher puts in, what it asks for, and what it gets
 * back. These are working-set records rebuilt from events at start, never event payloads.
 */

/** A build waiting in the queue, as the dispatcher knows it from the pipeline state. */
export interface QueuedBuild {
  readonly drvPath: string;
  readonly system: string;
  /** Higher runs first. */
  readonly priority: number;
  /** The specifications that want it, in the order they asked; fairness is shared among them. */
  readonly specs: readonly string[];
  /** When it entered the queue (epoch ms); the older build of a specification runs first. */
  readonly queuedAt: number;
  /** Not dispatched before this time (epoch ms), set by a requeue with backoff. */
  readonly notBefore?: number;
  /** `.drv` paths it needs built first; each blocks it until declared succeeded. */
  readonly dependencies: readonly string[];
}

/** What the queue needs to know of a worker asking for work. */
export interface WorkerSystems {
  /** The systems it builds; `builtin` builds go to every worker anyway. */
  readonly systems: readonly string[];
}

/** The build `next` chose, and the specification whose share it is counted against. */
export type PickedBuild = QueuedBuild & {
  /** Count the build as running for this specification (the first of its specs that picked it). */
  readonly spec: string;
};

/** A queued build that can never run because `root`, somewhere below it, failed or was cancelled. */
export interface DoomedBuild {
  readonly drvPath: string;
  /** The build whose failure doomed it, for a `dependency-failed` reason naming it. */
  readonly root: string;
}

/** How many builds of each specification are running now. */
export type RunningBySpec = ReadonlyMap<string, number>;
