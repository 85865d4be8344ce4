/**
 * Decisions of a specification stream, one handler per command.
 */
import { DomainError } from '../shared/errors.ts';
import { unreachable } from '../shared/unreachable.ts';
import type {
  ActivateSpecification,
  DeactivateSpecification,
  RegisterSpecification,
  RemoveSpecification,
  SpecificationCommand,
  UpdateSpecification,
} from './commands.ts';
import type { SpecificationEvent } from './events.ts';
import { changedFields, type Specification } from './specification.ts';
import type { SpecificationState } from './state.ts';
import { validateSpecification } from './validate.ts';

type Registered = Extract<SpecificationState, { spec: Specification }>;

function valid(spec: Specification): Specification {
  const checked = validateSpecification(spec);
  if (!checked.ok)
    throw new DomainError(
      'TALLY_SPEC_INVALID',
      // Whatever the caller sent: it may not even be an object.
      typeof (spec as Partial<Specification> | null)?.name === 'string'
        ? `Specification ${JSON.stringify(spec.name)} is invalid`
        : 'The specification (it has no name) is invalid',
      checked.issues,
    );
  return checked.value;
}

/** The stream's specification, which must be the one the command names (a stream holds one). */
function registered(state: SpecificationState, name: string): Registered {
  if ((state.status === 'active' || state.status === 'inactive') && state.spec.name === name) return state;
  throw new DomainError('TALLY_SPEC_NOT_FOUND', `No specification is registered as ${JSON.stringify(name)}`);
}

function register(command: RegisterSpecification, state: SpecificationState): SpecificationEvent[] {
  const spec = valid(command.spec);
  if (state.status === 'active' || state.status === 'inactive')
    throw new DomainError(
      'TALLY_SPEC_ALREADY_EXISTS',
      `Specification ${JSON.stringify(spec.name)} already exists`,
    );
  return [{ type: 'SpecificationRegistered', data: { spec } }];
}

function update(command: UpdateSpecification, state: SpecificationState): SpecificationEvent[] {
  const checked = valid(command.spec);
  if (state.status !== 'active' && state.status !== 'inactive') registered(state, checked.name);
  const current = state as Registered;
  if (checked.name !== current.spec.name)
    throw new DomainError(
      'TALLY_SPEC_RENAME',
      `Specification ${JSON.stringify(current.spec.name)} cannot be renamed`,
    );
  const spec = { ...checked, active: current.spec.active };
  const changed = changedFields(current.spec, spec);
  return changed.length === 0 ? [] : [{ type: 'SpecificationUpdated', data: { spec, changed } }];
}

function deactivate(command: DeactivateSpecification, state: SpecificationState): SpecificationEvent[] {
  const current = registered(state, command.name);
  if (current.status === 'inactive') return [];
  const why = command.why === undefined ? {} : { why: command.why };
  return [{ type: 'SpecificationDeactivated', data: { name: command.name, by: command.actor, ...why } }];
}

function activate(command: ActivateSpecification, state: SpecificationState): SpecificationEvent[] {
  const current = registered(state, command.name);
  if (current.status === 'active') return [];
  const why = command.why === undefined ? {} : { why: command.why };
  return [{ type: 'SpecificationActivated', data: { name: command.name, by: command.actor, ...why } }];
}

function remove(command: RemoveSpecification, state: SpecificationState): SpecificationEvent[] {
  registered(state, command.name);
  const why = command.why === undefined ? {} : { why: command.why };
  return [{ type: 'SpecificationRemoved', data: { name: command.name, by: command.actor, ...why } }];
}

export function decideSpecification(
  command: SpecificationCommand,
  state: SpecificationState,
): readonly SpecificationEvent[] {
  switch (command.type) {
    case 'RegisterSpecification':
      return register(command, state);
    case 'UpdateSpecification':
      return update(command, state);
    case 'DeactivateSpecification':
      return deactivate(command, state);
    case 'ActivateSpecification':
      return activate(command, state);
    case 'RemoveSpecification':
      return remove(command, state);
    default:
      return unreachable(command);
  }
}
