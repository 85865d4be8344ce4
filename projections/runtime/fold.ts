/**
 * Folding one stored event into a set of projections: decoding it once, skipping (and counting) what
 * the domain cannot read, and giving each projection only events past its own checkpoint. Returns the
 * decoded event when some projection folded it in.
 */

import { newWriter, writingInPlace } from '../shared/persistent-map.ts';
import type { Decoder, SourceEvent } from './event-source.ts';
import type { AnyProjection, ProjectedEvent } from './projection.ts';

/** One projection's live state and how far it has read. */
export interface ProjectionSlot {
  readonly projection: AnyProjection;
  state: unknown;
  /** Position of the last event folded in; -1 before any. */
  position: number;
  /** Events folded in since the last snapshot. */
  unsaved: number;
  /**
   * The token under which the state's maps are written in place (see `writingInPlace`). Whoever hands
   * the state out must first replace it (`sealSlot`), so that what was handed out never changes.
   */
  writer: object;
}

/** A slot for `projection` at its initial state. */
export function newSlot(projection: AnyProjection): ProjectionSlot {
  return { projection, state: projection.initialState, position: -1, unsaved: 0, writer: newWriter() };
}

/** The slot's state, from now on never changed in place: for a reader outside the fold. */
export function sealSlot(slot: ProjectionSlot): unknown {
  slot.writer = newWriter();
  return slot.state;
}

/** Events the domain could not read: skipped, counted by reason, each reported once. */
export interface SkippedEvents {
  count: number;
  readonly byReason: Record<string, number>;
}

/**
 * The event as projections see it. The store's own fields are read from the source when asked: few
 * projections look at the id or the recorded time, and a stored event makes them on first access.
 */
class FoldedEvent<E extends { readonly type: string }> implements ProjectedEvent<E> {
  readonly revision: number;
  readonly position: number;

  constructor(
    readonly event: E,
    private readonly source: SourceEvent,
  ) {
    this.revision = source.revision;
    this.position = source.position;
  }

  get id(): string {
    return this.source.id;
  }

  get streamId(): string {
    return this.source.streamId;
  }

  get metadata(): Readonly<Record<string, unknown>> {
    return this.source.metadata;
  }

  get recordedAt(): Date {
    return this.source.created;
  }
}

function skip(
  skipped: SkippedEvents,
  onSkip: (source: SourceEvent, reason: string) => void,
  source: SourceEvent,
  reason: string,
  detail = reason,
): void {
  skipped.count += 1;
  skipped.byReason[reason] = (skipped.byReason[reason] ?? 0) + 1;
  onSkip(source, detail);
}

/**
 * Folds `source` into every slot still before it. An event of a type the decoder does not know (see
 * `Decoder.knownTypes`) is skipped and reported even when no projection handles its type: it was
 * written by a newer Tally or another program, and passing over it in silence would hide that.
 */
export function foldEvent<E extends { readonly type: string }>(
  slots: readonly ProjectionSlot[],
  source: SourceEvent,
  decode: Decoder<E>,
  skipped: SkippedEvents,
  onSkip: (source: SourceEvent, reason: string) => void,
): ProjectedEvent<E> | undefined {
  let projected: ProjectedEvent<E> | undefined;
  let undecodable = false;
  let unseen = false;
  for (const slot of slots) {
    if (slot.position >= source.position) continue;
    slot.position = source.position;
    unseen = true;
    if (undecodable || !slot.projection.canHandle(source.type)) continue;
    if (!projected) {
      // Decoded at most once, and only when some projection wants the event.
      const decoded = decode(source);
      if (!decoded.ok) {
        undecodable = true;
        skip(skipped, onSkip, source, decoded.reason);
        continue;
      }
      projected = new FoldedEvent(decoded.event, source);
    }
    let next: unknown;
    try {
      next = writingInPlace(slot.writer, () => slot.projection.evolve(slot.state, projected!));
    } catch (error) {
      // A defect of one projection on one event: the others, and the events after it, still fold.
      // The projection keeps its state from before the event (less what the failed step had already
      // written in place), and the skip shows in the counts, the log and `tally replay`.
      const why = `projection ${slot.projection.name} failed on it: ${(error as Error)?.message ?? error}`;
      skip(skipped, onSkip, source, 'projection-failed', why);
      continue;
    }
    if (next !== slot.state) {
      slot.state = next;
      slot.unsaved += 1;
    }
  }
  if (!projected && !undecodable && unseen && decode.knownTypes?.has(source.type) === false) {
    // As with an event a projection cannot decode, counted only when some projection had not yet read
    // past it. The store's own events (`$metadata`, `$streamDeleted`…) are not the domain's to read.
    // The decoder names the reason, the same one it gives when some projection does handle the type.
    if (source.type.startsWith('$')) return undefined;
    const decoded = decode(source);
    if (!decoded.ok) skip(skipped, onSkip, source, decoded.reason);
  }
  return projected;
}
