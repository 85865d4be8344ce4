/**
 * The whole event catalogue: `TallyEvent` is every event of every aggregate, and `eventRegistry`
 * says, for each type, which stream category it lives in, its current schema version and the checker
 * of its data.
 */
import { type BuildEvent, buildSchemas } from './build/index.ts';
import { type CheckoutEvent, checkoutSchemas } from './checkout/index.ts';
import { type EvaluationEvent, evaluationSchemas } from './evaluation/index.ts';
import { type GcEvent, gcSchemas } from './gc/index.ts';
import { type NotificationEvent, notificationSchemas } from './notification/index.ts';
import type { Schema } from './shared/schema.ts';
import type { StreamCategory } from './shared/streams.ts';
import { type SpecificationEvent, specificationSchemas } from './specification/index.ts';
import { type WorkerEvent, workerSchemas } from './worker/index.ts';

/** Every event Tally records. */
export type TallyEvent =
  | SpecificationEvent
  | CheckoutEvent
  | EvaluationEvent
  | BuildEvent
  | WorkerEvent
  | GcEvent
  | NotificationEvent;

export type TallyEventType = TallyEvent['type'];

/** The data of the event of type `T`. */
export type EventData<T extends TallyEventType> = Extract<TallyEvent, { type: T }>['data'];

/** What the registry knows about one event type. */
export interface EventRegistration<T extends TallyEventType> {
  /** The category of the streams it is appended to. */
  readonly category: StreamCategory;
  /** The version of `data` this code writes; older ones are upcast when read. */
  readonly schemaVersion: number;
  /** Checks data of the current version. */
  readonly data: Schema<EventData<T>>;
}

type Registry = { readonly [T in TallyEventType]: EventRegistration<T> };

function inCategory<S extends Record<string, unknown>>(category: StreamCategory, schemas: S) {
  const entries = Object.entries(schemas).map(([type, data]) => [type, { category, schemaVersion: 1, data }]);
  return Object.fromEntries(entries) as {
    [K in keyof S]: { category: StreamCategory; schemaVersion: number; data: S[K] };
  };
}

/** Schema versions above 1, each with its upcaster in `upcasters.ts`. */
const currentVersions: Partial<Record<TallyEventType, number>> = {
  EvaluationRequested: 2,
  BuildFailed: 2,
};

const registered = {
  ...inCategory('spec', specificationSchemas),
  ...inCategory('checkout', checkoutSchemas),
  ...inCategory('eval', evaluationSchemas),
  ...inCategory('build', buildSchemas),
  ...inCategory('worker', workerSchemas),
  ...inCategory('gc', gcSchemas),
  ...inCategory('notification', notificationSchemas),
} satisfies Registry;

/** Every event type with its stream category, current schema version and data checker. */
export const eventRegistry: Registry = Object.fromEntries(
  Object.entries(registered).map(([type, entry]) => [
    type,
    { ...entry, schemaVersion: currentVersions[type as TallyEventType] ?? entry.schemaVersion },
  ]),
) as unknown as Registry;

/** True when `type` names an event of the catalogue. */
export function isTallyEventType(type: string): type is TallyEventType {
  return Object.hasOwn(eventRegistry, type);
}
