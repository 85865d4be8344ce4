/**
 * Run-time checkers of the worker events' data.
 */
import { actor } from '../shared/metadata.ts';
import { array, count, integer, isoTime, object, type Schema, text } from '../shared/schema.ts';
import type { WorkerEvent } from './events.ts';

type Data<T extends WorkerEvent['type']> = Extract<WorkerEvent, { type: T }>['data'];

const named = { name: text };
const byWhom = { name: text, by: actor };

/** One checker per worker event type. */
export const workerSchemas: { readonly [T in WorkerEvent['type']]: Schema<Data<T>> } = {
  WorkerRegistered: object<Data<'WorkerRegistered'>>({
    name: text,
    systems: array(text, { minLength: 1 }),
    cores: integer({ min: 1 }),
    memoryBytes: count,
    diskBytes: count,
    version: text,
  }),
  WorkerConnected: object<Data<'WorkerConnected'>>(named),
  WorkerDisconnected: object<Data<'WorkerDisconnected'>>(named),
  WorkerLost: object<Data<'WorkerLost'>>({ name: text, lastSeenAt: isoTime }),
  WorkerDrained: object<Data<'WorkerDrained'>>(byWhom),
  WorkerResumed: object<Data<'WorkerResumed'>>(byWhom),
  WorkerRemoved: object<Data<'WorkerRemoved'>>(byWhom),
};
