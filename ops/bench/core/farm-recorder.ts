/**
 * The bottom layer of `FarmHistory`: the farm's clock and the events recorded, each with its stream,
 * revision, `$all` position and metadata, as the projection runtime hands them to projections.
 */
import { eventRegistry, type TallyEvent } from '../../../domain/events.ts';
import type { Actor, EventMetadata } from '../../../domain/shared/metadata.ts';
import type { IsoTime } from '../../../domain/shared/time.ts';
import type { ProjectedEvent } from '../../../projections/runtime/projection.ts';

export interface RecorderOptions {
  /** The time of the first event (default 2024-05-01T00:00:00Z). */
  readonly start?: IsoTime;
  /** Seconds the clock moves between two events (default 1). */
  readonly step?: number;
  /** Receives each event instead of `events` keeping it (for histories too long to hold). */
  readonly sink?: (event: ProjectedEvent<TallyEvent>) => void;
}

/** Records events in order, with the positions the store would give them. */
export class FarmRecorder {
  /** Every event recorded so far (empty when a `sink` takes them). */
  readonly events: ProjectedEvent<TallyEvent>[] = [];
  /** The farm's current time, epoch ms. */
  protected clock: number;
  /** The position the next event will get. */
  protected position = 0;
  private readonly step: number;
  private readonly sink: (event: ProjectedEvent<TallyEvent>) => void;
  private readonly revisions = new Map<string, number>();

  constructor(options: RecorderOptions = {}) {
    this.clock = Date.parse(options.start ?? '2024-05-01T00:00:00Z');
    this.step = (options.step ?? 1) * 1000;
    this.sink = options.sink ?? ((event) => this.events.push(event));
  }

  /** The farm's current time. */
  now(): IsoTime {
    return new Date(this.clock).toISOString();
  }

  /** Moves the clock on by `seconds`. */
  tick(seconds: number): this {
    this.clock += seconds * 1000;
    return this;
  }

  /** The position the next event will get. */
  nextPosition(): number {
    return this.position;
  }

  /** Records one event on `streamId` as `actor` at the current time, then moves the clock on. */
  record(streamId: string, event: TallyEvent, actor: Actor = 'system'): ProjectedEvent<TallyEvent> {
    const revision = (this.revisions.get(streamId) ?? -1) + 1;
    this.revisions.set(streamId, revision);
    const at = this.now();
    const metadata = {
      schemaVersion: eventRegistry[event.type].schemaVersion,
      correlationId: `c-${streamId}`,
      causationId: `c-${this.position}`,
      actor,
      at,
    } satisfies EventMetadata;
    const projected: ProjectedEvent<TallyEvent> = {
      event,
      streamId,
      revision,
      position: this.position,
      metadata,
      recordedAt: new Date(this.clock),
    };
    this.position += 1;
    this.clock += this.step;
    this.sink(projected);
    return projected;
  }
}
