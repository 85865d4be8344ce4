/**
 * Events of a specification's stream (`spec-<name>`): its registration, changes, pauses and removal.
 */
import type { Actor } from '../shared/metadata.ts';
import type { Specification, SpecificationField } from './specification.ts';

/** A new specification (or one registered again after removal). */
export interface SpecificationRegistered {
  readonly type: 'SpecificationRegistered';
  readonly data: { readonly spec: Specification };
}

/** The specification was replaced by a new version; `active` does not change this way. */
export interface SpecificationUpdated {
  readonly type: 'SpecificationUpdated';
  readonly data: {
    readonly spec: Specification;
    /** The top-level fields that differ from the previous version. */
    readonly changed: readonly SpecificationField[];
  };
}

/** Polling and scheduling stop; history and outputs stay. */
export interface SpecificationDeactivated {
  readonly type: 'SpecificationDeactivated';
  readonly data: { readonly name: string; readonly by: Actor; readonly why?: string };
}

/** Polling and scheduling resume. */
export interface SpecificationActivated {
  readonly type: 'SpecificationActivated';
  readonly data: { readonly name: string; readonly by: Actor; readonly why?: string };
}

/** The specification is gone; its name may be registered again as a new one. */
export interface SpecificationRemoved {
  readonly type: 'SpecificationRemoved';
  readonly data: { readonly name: string; readonly by: Actor; readonly why?: string };
}

/** Every event of a specification stream. */
export type SpecificationEvent =
  | SpecificationRegistered
  | SpecificationUpdated
  | SpecificationDeactivated
  | SpecificationActivated
  | SpecificationRemoved;
