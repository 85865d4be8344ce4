/**
 * What every stored event carries beside its data: the schema version of its data, the conversation
 * it belongs to (`correlationId`), what directly caused it (`causationId`), who acted, and when.
 */
import { type Checked, integer, isoTime, object, type Schema, text } from './schema.ts';
import type { IsoTime } from './time.ts';

/** Processes of the farm that act on their own. */
export type ServiceActor = 'poller' | 'scheduler' | 'dispatcher' | 'evaluator' | 'gc' | 'notifier' | 'system';

/** Who acted: a person (`user:alice`), a worker (`worker:w1`) or one of the farm's processes. */
export type Actor = `user:${string}` | `worker:${string}` | ServiceActor;

const services: readonly ServiceActor[] = [
  'poller',
  'scheduler',
  'dispatcher',
  'evaluator',
  'gc',
  'notifier',
  'system',
];
const actorName = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** The actor a string names, or `undefined` when it names none (`user:`, `robot`, `worker:a b`). */
export function parseActor(value: string): Actor | undefined {
  if ((services as readonly string[]).includes(value)) return value as ServiceActor;
  const match = /^(user|worker):(.*)$/.exec(value);
  if (match && actorName.test(match[2]!)) return value as Actor;
  return undefined;
}

/** The actor checker, for events and metadata read from the store. */
export const actor: Schema<Actor> = (value, path) => {
  const parsed = typeof value === 'string' ? parseActor(value) : undefined;
  return parsed
    ? { ok: true, value: parsed }
    : {
        ok: false,
        issues: [{ path, message: 'expected an actor: user:NAME, worker:NAME or a service name' }],
      };
};

/** Metadata stored with every event. */
export interface EventMetadata {
  /** Version of the event's `data` shape; older versions are upcast when read. */
  readonly schemaVersion: number;
  /** Id shared by every event of one conversation (a poll and all it led to). */
  readonly correlationId: string;
  /** Id of the event or command that directly caused this one. */
  readonly causationId: string;
  readonly actor: Actor;
  /** When the fact happened, as the command said (not when the store wrote it). */
  readonly at: IsoTime;
}

const metadataSchema = object<EventMetadata>({
  schemaVersion: integer({ min: 1 }),
  correlationId: text,
  causationId: text,
  actor,
  at: isoTime,
});

/** Reads stored metadata; unknown extra keys (the store's own) are dropped. */
export function parseMetadata(raw: unknown): Checked<EventMetadata> {
  return metadataSchema(raw, 'metadata');
}

/** What caused new events: a stored event (its id and correlation) or a fresh command id. */
export type Cause =
  | { readonly kind: 'event'; readonly id: string; readonly correlationId: string }
  | { readonly kind: 'command'; readonly id: string };

/** Metadata for events caused by `cause`: the correlation carries over, the cause becomes the causation. */
export function metadataFor(cause: Cause, actor: Actor, at: IsoTime, schemaVersion: number): EventMetadata {
  const correlationId = cause.kind === 'event' ? cause.correlationId : cause.id;
  return { schemaVersion, correlationId, causationId: cause.id, actor, at };
}
