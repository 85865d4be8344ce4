/**
 * Rebuilding projections from the first event: for `tally replay`, for `--verify` (compare with the
 * live state), and for time travel (the state as of an earlier position).
 */
import type { Decoder, EventSource, SourceEvent } from './event-source.ts';
import { foldEvent, newSlot, type ProjectionSlot, type SkippedEvents, sealSlot } from './fold.ts';
import type { AnyProjection } from './projection.ts';

export interface ReplayOptions {
  /** Stop after the event at this position (inclusive): the state "as of" it. */
  readonly upTo?: number;
  /** Called every `progressEvery` events with the number read so far and the last position. */
  readonly onProgress?: (events: number, position: number) => void;
  readonly progressEvery?: number;
  /**
   * Called once for each event skipped, with why: one a projection could not read, or one of a type the
   * decoder does not know.
   */
  readonly onSkip?: (event: SourceEvent, reason: string) => void;
}

export interface ReplayResult {
  readonly states: ReadonlyMap<string, unknown>;
  /** The position of the last event read; -1 when the store is empty. */
  readonly position: number;
  readonly events: number;
  readonly skipped: SkippedEvents;
}

export async function replayProjections<E extends { readonly type: string }>(
  source: Pick<EventSource, 'readAll'>,
  projections: readonly AnyProjection<E>[],
  decode: Decoder<E>,
  options: ReplayOptions = {},
): Promise<ReplayResult> {
  const slots: ProjectionSlot[] = projections.map(newSlot);
  const skipped: SkippedEvents = { count: 0, byReason: {} };
  const every = options.progressEvery ?? 10_000;
  let events = 0;
  let position = -1;
  for await (const event of source.readAll({ direction: 'forwards' })) {
    if (options.upTo !== undefined && event.position > options.upTo) break;
    foldEvent(slots, event, decode, skipped, options.onSkip ?? (() => undefined));
    events += 1;
    position = event.position;
    if (events % every === 0) options.onProgress?.(events, position);
  }
  options.onProgress?.(events, position);
  return {
    states: new Map(slots.map((slot) => [slot.projection.name, sealSlot(slot)])),
    position,
    events,
    skipped,
  };
}
