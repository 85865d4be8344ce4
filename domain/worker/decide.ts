/**
 * Decisions of a worker stream.
 */
import { DomainError } from '../shared/errors.ts';
import { unreachable } from '../shared/unreachable.ts';
import type { RegisterWorker, WorkerCommand } from './commands.ts';
import type { Capabilities, WorkerEvent } from './events.ts';
import type { RegisteredWorker, WorkerState } from './state.ts';

function registered(state: WorkerState, name: string): RegisteredWorker {
  if (state.status === 'unregistered' || state.status === 'removed')
    throw new DomainError('TALLY_WORKER_NOT_FOUND', `No worker is registered as ${JSON.stringify(name)}`);
  return state;
}

function online(state: WorkerState, name: string): RegisteredWorker {
  const worker = registered(state, name);
  if (worker.status !== 'online')
    throw new DomainError('TALLY_WORKER_NOT_CONNECTED', `Worker ${name} is ${worker.status}`);
  return worker;
}

function same(a: Capabilities, b: Capabilities): boolean {
  const { systems, ...rest } = a;
  return (
    systems.length === b.systems.length &&
    systems.every((system, index) => system === b.systems[index]) &&
    (Object.keys(rest) as (keyof typeof rest)[]).every((key) => rest[key] === b[key])
  );
}

function register(command: RegisterWorker, state: WorkerState): WorkerEvent[] {
  const { name, capabilities } = command;
  const { systems, cores, memoryBytes, diskBytes, version } = capabilities;
  const counts = [cores, memoryBytes, diskBytes].every((n) => Number.isSafeInteger(n) && n >= 0);
  if (systems.length === 0 || cores < 1 || !counts || version === '')
    throw new DomainError('TALLY_WORKER_INVALID', `Worker ${name} sent capabilities Tally cannot use`);
  const data = { name, systems, cores, memoryBytes, diskBytes, version };
  if ('capabilities' in state && same(state.capabilities, capabilities)) return [];
  return [{ type: 'WorkerRegistered', data }];
}

export function decideWorker(command: WorkerCommand, state: WorkerState): readonly WorkerEvent[] {
  const { name } = command;
  switch (command.type) {
    case 'RegisterWorker':
      return register(command, state);
    case 'ConnectWorker':
      return registered(state, name).status === 'online' ? [] : [{ type: 'WorkerConnected', data: { name } }];
    case 'DisconnectWorker':
      online(state, name);
      return [{ type: 'WorkerDisconnected', data: { name } }];
    case 'MarkWorkerLost':
      online(state, name);
      return [{ type: 'WorkerLost', data: { name, lastSeenAt: command.lastSeenAt } }];
    case 'DrainWorker':
      return registered(state, name).drained
        ? []
        : [{ type: 'WorkerDrained', data: { name, by: command.actor } }];
    case 'ResumeWorker':
      return registered(state, name).drained
        ? [{ type: 'WorkerResumed', data: { name, by: command.actor } }]
        : [];
    case 'RemoveWorker':
      // A worker still connected would go on building, shown as removed, and never join again until it
      // reconnects (an in-process worker: until the server restarts). Draining is how it stops working.
      if (registered(state, name).status === 'online')
        throw new DomainError(
          'TALLY_WORKER_CONNECTED',
          `Worker ${name} is connected: drain it to stop giving it work, and remove it once it has disconnected`,
        );
      return [{ type: 'WorkerRemoved', data: { name, by: command.actor } }];
    default:
      return unreachable(command);
  }
}
