/**
 * The event-store port: the one way the rest of Tally reaches its events. Adapters implement it over a
 * concrete store (`createEsdbEventStore` over `@eventstore/db-client`); the contract suite in
 * `test/adapters/eventstore/event-store.contract.ts` states every behaviour below and runs against each.
 *
 * Numbers: stream revisions and `$all` positions are plain JS `number`s. They are exact up to 2^53 − 1
 * (`Number.MAX_SAFE_INTEGER`): nine quadrillion events in a stream, or a nine-petabyte log. A store that
 * reports a larger value makes the call fail with `TALLY_EVENTSTORE_NUMBER_OUT_OF_RANGE` rather than
 * round silently. Positions are opaque and increasing: compare them, never do arithmetic on them.
 *
 * Failures are `EventStoreError`s with a stable `code` (see `errors.ts`); no driver type escapes.
 */

/** What the stream must look like for an append to go through (optimistic concurrency). */
export type ExpectedRevision =
  /** Append whatever the stream's state (no concurrency check). */
  | 'any'
  /** The stream must not exist yet. */
  | 'no_stream'
  /** The stream must exist (have at least one event). */
  | 'stream_exists'
  /** The stream's last event must have exactly this revision. */
  | number;

/** An event to append. `data` and `metadata` are stored as JSON (`application/json`). */
export interface NewEvent {
  /**
   * A UUID. Give one derived from the cause to make retries idempotent: the store ignores an append
   * of ids it just stored with the same expected revision. A random one is generated when absent.
   */
  readonly id?: string;
  /** Past-tense PascalCase (`BuildQueued`); types starting with `$` are reserved for the store. */
  readonly type: string;
  /** Any JSON value except a bare string (see `EventContentProblem` for why). */
  readonly data: unknown;
  readonly metadata?: Record<string, unknown>;
}

/** The outcome of a successful append. */
export interface AppendResult {
  /** The revision of the stream's last event now: pass it as the next append's expected revision. */
  readonly nextRevision: number;
  /** The `$all` position of the append (of its last event, on stores that tell them apart). */
  readonly position: number;
}

/**
 * Why an event's content could not be read as Tally JSON. Such an event is still delivered (readers
 * never crash on it) with `data` or `metadata` set to `null` or `{}` and this description attached.
 *
 * A limitation of `@eventstore/db-client`: it hands back the raw text of a JSON event whose body does not
 * parse, which looks the same as a JSON event whose body is a string. The adapter therefore reports a
 * string body that is not itself JSON as `invalid-json`, and appends refuse bare-string data so that
 * Tally's own events are never misreported.
 */
export interface EventContentProblem {
  /** Which part of the event is affected. */
  readonly part: 'data' | 'metadata';
  /**
   * `binary`: not marked as JSON (e.g. `application/octet-stream`), or metadata bytes that are not JSON;
   * `invalid-json`: marked as JSON but does not parse; `not-an-object`: metadata that is JSON but not an object.
   */
  readonly reason: 'binary' | 'invalid-json' | 'not-an-object';
  /** The raw content: UTF-8 text for `invalid-json`/`not-an-object`, base64 for `binary`. */
  readonly raw: string;
}

/** An event as the store recorded it. */
export interface RecordedEvent {
  readonly streamId: string;
  /** The event's number in its stream: 0, 1, 2, … */
  readonly revision: number;
  /** The event's position in `$all` (−1 from EventStoreDB before 22.6, which omits it on stream reads). */
  readonly position: number;
  readonly id: string;
  readonly type: string;
  /** The parsed JSON body, or `null` when `malformed` says it could not be read. */
  readonly data: unknown;
  /** The parsed JSON metadata; `{}` when the event had none or when it could not be read. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** When the store accepted the event. */
  readonly created: Date;
  /** Present only when the content is not Tally JSON; lists each unreadable part. */
  readonly malformed?: readonly EventContentProblem[];
}

/** Which way a read goes. */
export type Direction = 'forwards' | 'backwards';

export interface ReadStreamOptions {
  /** Defaults to `'forwards'`. */
  readonly direction?: Direction;
  /**
   * The first revision to return (inclusive, in either direction). Defaults to the first event going
   * forwards and the last one going backwards.
   */
  readonly fromRevision?: number;
  /** At most this many events. Defaults to all. */
  readonly limit?: number;
}

export interface ReadAllOptions {
  /** Defaults to `'forwards'`. */
  readonly direction?: Direction;
  /**
   * Forwards: events at this position or after (inclusive). Backwards: events strictly before it
   * (exclusive), so the position of the last event of one page starts the next. Defaults to the
   * start (forwards) or the end (backwards) of `$all`.
   */
  readonly fromPosition?: number;
  /** At most this many events (after leaving out system events). Defaults to all. */
  readonly limit?: number;
  /** Also return the store's own events (type or stream starting with `$`). Defaults to false. */
  readonly includeSystemEvents?: boolean;
}

/** Which events a subscription delivers. One kind at a time, as the server filters on one. */
export type SubscriptionFilter =
  | { readonly streamPrefixes: readonly string[] }
  | { readonly typePrefixes: readonly string[] }
  | { readonly streamRegex: string }
  | { readonly typeRegex: string };

/** Where a subscription starts: before the first event, at the live end, or after a position (exclusive). */
export type SubscriptionStart = 'start' | 'end' | number;

export interface SubscribeOptions {
  /** Defaults to `'start'`. */
  readonly from?: SubscriptionStart;
  /** Defaults to every non-system event. System events (`$`-prefixed type or stream) are never delivered. */
  readonly filter?: SubscriptionFilter;
  /**
   * About how many scanned events separate two checkpoint notifications (the server may round it).
   * Defaults to 32.
   */
  readonly checkpointInterval?: number;
}

/** What a subscription delivers, in `$all` order. */
export type SubscriptionMessage =
  /** An event that passed the filter. */
  | { readonly kind: 'event'; readonly event: RecordedEvent }
  /**
   * Every event up to `position` has been delivered or filtered out: store it, and resume from it
   * after a restart without missing or repeating a matching event.
   */
  | { readonly kind: 'checkpoint'; readonly position: number };

/** A live subscription: iterate it (once) for messages; it never ends on its own. */
export interface Subscription extends AsyncIterable<SubscriptionMessage> {
  /**
   * Resolves once the store has confirmed the subscription: with `from: 'end'`, every append made after
   * that is delivered. Rejects if the subscription fails or is cancelled first.
   */
  started(): Promise<void>;
  /** Stops the subscription: iteration ends without an error. Safe to call more than once. */
  cancel(): Promise<void>;
}

export interface EventStore {
  /**
   * Appends `events` to `streamId` atomically if the stream matches `expectedRevision`; an empty list
   * only checks it. Fails with `TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION` (carrying the stream, the
   * expected and the actual revision), `TALLY_EVENTSTORE_STREAM_DELETED`, `TALLY_EVENTSTORE_APPEND_TOO_LARGE`,
   * or `TALLY_EVENTSTORE_INVALID_EVENT` for an event it cannot store (bad id, non-JSON data).
   */
  append(
    streamId: string,
    events: readonly NewEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult>;

  /**
   * Reads one stream's events in revision order. A stream that does not exist (never written, or
   * soft-deleted) yields nothing; a hard-deleted (tombstoned) one fails with
   * `TALLY_EVENTSTORE_STREAM_DELETED`. Breaking out of the loop cancels the read.
   */
  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent>;

  /** Reads `$all`, every stream's events in the order the store recorded them. Breaking out cancels. */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;

  /**
   * Subscribes to `$all`: catches up from `from`, then follows live appends, delivering matching events
   * and checkpoint notifications in position order. Errors (the store going away) end the iteration
   * with an `EventStoreError`; resume from the last checkpoint or event position.
   */
  subscribeToAll(options?: SubscribeOptions): Subscription;

  /** Releases the connection when this store owns it; the store is unusable afterwards. */
  close(): Promise<void>;
}
