/**
 * Commands to a specification stream. Each carries the time and who asked.
 */
import type { Actor } from '../shared/metadata.ts';
import type { IsoTime } from '../shared/time.ts';
import type { Specification } from './specification.ts';

interface Issued {
  readonly at: IsoTime;
  readonly actor: Actor;
}

/** Register a specification; it is validated again here, whatever the caller checked. */
export interface RegisterSpecification extends Issued {
  readonly type: 'RegisterSpecification';
  readonly spec: Specification;
}

/** Replace a specification's settings; its `active` flag is kept (use Activate/Deactivate). */
export interface UpdateSpecification extends Issued {
  readonly type: 'UpdateSpecification';
  readonly spec: Specification;
}

/** Stop polling and scheduling a specification. */
export interface DeactivateSpecification extends Issued {
  readonly type: 'DeactivateSpecification';
  readonly name: string;
  readonly why?: string;
}

/** Resume polling and scheduling a specification. */
export interface ActivateSpecification extends Issued {
  readonly type: 'ActivateSpecification';
  readonly name: string;
  readonly why?: string;
}

/** Remove a specification. */
export interface RemoveSpecification extends Issued {
  readonly type: 'RemoveSpecification';
  readonly name: string;
  readonly why?: string;
}

/** Every command a specification stream accepts. */
export type SpecificationCommand =
  | RegisterSpecification
  | UpdateSpecification
  | DeactivateSpecification
  | ActivateSpecification
  | RemoveSpecification;
