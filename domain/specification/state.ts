/**
 * The state of a specification stream, and how each event changes it.
 */
import { unreachable } from '../shared/unreachable.ts';
import type { SpecificationEvent } from './events.ts';
import type { Specification } from './specification.ts';

/** A specification's life: never registered, active, inactive, or removed. */
export type SpecificationState =
  | { readonly status: 'unregistered' }
  | { readonly status: 'active'; readonly spec: Specification }
  | { readonly status: 'inactive'; readonly spec: Specification }
  | { readonly status: 'removed'; readonly name: string };

export const initialSpecificationState: SpecificationState = { status: 'unregistered' };

export function evolveSpecification(
  state: SpecificationState,
  event: SpecificationEvent,
): SpecificationState {
  switch (event.type) {
    case 'SpecificationRegistered':
    case 'SpecificationUpdated': {
      const { spec } = event.data;
      return { status: spec.active ? 'active' : 'inactive', spec };
    }
    case 'SpecificationDeactivated':
      return state.status === 'active'
        ? { status: 'inactive', spec: { ...state.spec, active: false } }
        : state;
    case 'SpecificationActivated':
      return state.status === 'inactive'
        ? { status: 'active', spec: { ...state.spec, active: true } }
        : state;
    case 'SpecificationRemoved':
      return { status: 'removed', name: event.data.name };
    default:
      return unreachable(event);
  }
}
