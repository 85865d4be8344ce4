/**
 * Run-time checkers of the specification events' data, for events read back from the store.
 */
import { actor } from '../shared/metadata.ts';
import { array, literal, object, optional, type Schema, string, text } from '../shared/schema.ts';
import type { SpecificationEvent } from './events.ts';
import type { Specification, SpecificationField } from './specification.ts';
import { readSpecification } from './validate.ts';

type Data<T extends SpecificationEvent['type']> = Extract<SpecificationEvent, { type: T }>['data'];

const spec: Schema<Specification> = (value, path) => {
  const checked = readSpecification(value);
  if (checked.ok) return checked;
  return {
    ok: false,
    issues: checked.issues.map((issue) => ({ ...issue, path: issue.path ? `${path}.${issue.path}` : path })),
  };
};

const field = literal<SpecificationField>(
  'name',
  'channels',
  'evaluator',
  'systems',
  'priority',
  'pollingPeriodSeconds',
  'buildLimits',
  'retries',
  'keepEvaluations',
  'active',
  'notifications',
);
const why = optional(string({ maxLength: 4096 }));

/** One checker per specification event type. */
export const specificationSchemas: { readonly [T in SpecificationEvent['type']]: Schema<Data<T>> } = {
  SpecificationRegistered: object<Data<'SpecificationRegistered'>>({ spec }),
  SpecificationUpdated: object<Data<'SpecificationUpdated'>>({ spec, changed: array(field) }),
  SpecificationDeactivated: object<Data<'SpecificationDeactivated'>>({ name: text, by: actor, why }),
  SpecificationActivated: object<Data<'SpecificationActivated'>>({ name: text, by: actor, why }),
  SpecificationRemoved: object<Data<'SpecificationRemoved'>>({ name: text, by: actor, why }),
};
