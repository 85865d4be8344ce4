/**
 * A projection: a pure reducer from events to a read model, plus the queries beside it. The runtime
 * feeds it every event it can handle, in `$all` order, and keeps its checkpoint and snapshots.
 */

/** An event as projections see it: the domain's typed event plus where and when the store put it. */
export interface ProjectedEvent<
  E extends { readonly type: string } = { readonly type: string; readonly data: unknown },
> {
  readonly event: E;
  /** The stored event's id (absent in hand-made events of tests and benchmarks). */
  readonly id?: string;
  readonly streamId: string;
  readonly revision: number;
  /** Position in `$all`: strictly increasing, the projection's checkpoint. */
  readonly position: number;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** When the store accepted the event. */
  readonly recordedAt: Date;
}

export interface Projection<
  S,
  E extends { readonly type: string } = { readonly type: string; readonly data: unknown },
> {
  /** Unique, stable: names the snapshot and the API's lag figures. */
  readonly name: string;
  /** Bumping it discards snapshots and rebuilds the projection from the first event. */
  readonly version: number;
  /** Whether `evolve` cares about events of this type (others are skipped cheaply). */
  canHandle(type: string): boolean;
  readonly initialState: S;
  /**
   * The state holds many copies of the same strings (names, paths), shared while folding: a snapshot
   * read back shares them again, which makes loading slower and the state much smaller.
   */
  readonly repeatsStrings?: boolean;
  /** Pure: the state after one more event. Returns the same object for events that change nothing. */
  evolve(state: S, event: ProjectedEvent<E>): S;
}

/** Any projection, whatever its state type, as the runtime holds them side by side. */
// biome-ignore lint/suspicious/noExplicitAny: the runtime is generic over heterogeneous states.
export type AnyProjection<E extends { readonly type: string } = any> = Projection<any, E>;
