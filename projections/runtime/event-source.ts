/**
 * The runtime's view of the event store: just enough to catch up and follow `$all`. The event-store
 * adapter (`adapters/eventstore`) satisfies it as it is; tests may hand-roll one.
 */

/** An event as the store recorded it, before the domain has read it. */
export interface SourceEvent {
  readonly streamId: string;
  readonly revision: number;
  readonly position: number;
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly created: Date;
  /** Present when the store could not read the content as JSON. */
  readonly malformed?: readonly unknown[];
}

export type SourceMessage =
  | { readonly kind: 'event'; readonly event: SourceEvent }
  | { readonly kind: 'checkpoint'; readonly position: number };

export interface SourceSubscription extends AsyncIterable<SourceMessage> {
  started(): Promise<void>;
  cancel(): Promise<void>;
}

export interface EventSource {
  /** Follows `$all` after `from` (exclusive), or from the start. */
  subscribeToAll(options: { readonly from: 'start' | number }): SourceSubscription;
  /** Reads `$all`; used for replays and for the head position. */
  readAll(options: {
    readonly direction?: 'forwards' | 'backwards';
    readonly fromPosition?: number;
    readonly limit?: number;
    /** The store's own records too (`$`-streams and -types), which are left out by default. */
    readonly includeSystemEvents?: boolean;
  }): AsyncIterable<SourceEvent>;
}

/** How the domain reads a stored event: its typed event, or why it cannot (unknown type, malformed data). */
export type Decoded<E> =
  | { readonly ok: true; readonly event: E }
  | { readonly ok: false; readonly reason: string };

/**
 * How the domain reads a stored event. A decoder that names every type it can read (`knownTypes`) lets
 * the runtime report events of other types even when no projection handles them, while events of
 * known types that no projection wants are still passed over without being decoded.
 */
export interface Decoder<E> {
  (event: SourceEvent): Decoded<E>;
  /** Every type this decoder can read; without it, events no projection handles are never decoded. */
  readonly knownTypes?: ReadonlySet<string>;
}

/**
 * Which event store `first`, the first event of its `$all`, belongs to: a snapshot records it, so that
 * a data directory started on another store (or a store restored from another farm) is not taken for
 * the store its snapshots were folded from. The recorded time is the store's own, so two farms whose
 * first events are alike (the same id, made from the same cause) still differ.
 */
export function storeIdentity(first: Pick<SourceEvent, 'id' | 'position' | 'created'>): string {
  return `${first.id}@${first.position}@${first.created.toISOString()}`;
}

/**
 * The identity of `source` (`storeIdentity` of its first event) and the position of its last record,
 * the store's own records included: a projection's position may be a checkpoint past the last event
 * it folded, at such a record.
 */
export async function describeStore(
  source: Pick<EventSource, 'readAll'>,
): Promise<{ readonly identity?: string; readonly head: number }> {
  let identity: string | undefined;
  let head = -1;
  for await (const event of source.readAll({ direction: 'forwards', limit: 1 }))
    identity = storeIdentity(event);
  for await (const event of source.readAll({ direction: 'backwards', limit: 1, includeSystemEvents: true }))
    head = event.position;
  return identity === undefined ? { head } : { identity, head };
}
