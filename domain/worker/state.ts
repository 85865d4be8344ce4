/**
 * The state of a worker stream: whether it is known, connected, and given work.
 */
import { unreachable } from '../shared/unreachable.ts';
import type { Capabilities, WorkerEvent } from './events.ts';

interface Registered {
  readonly name: string;
  readonly capabilities: Capabilities;
  /** True while it gets no new work. */
  readonly drained: boolean;
}

export type WorkerState =
  | { readonly status: 'unregistered' }
  | (Registered & { readonly status: 'online' | 'offline' | 'lost' })
  | { readonly status: 'removed'; readonly name: string };

export type RegisteredWorker = Extract<WorkerState, { capabilities: Capabilities }>;

export const initialWorkerState: WorkerState = { status: 'unregistered' };

export function evolveWorker(state: WorkerState, event: WorkerEvent): WorkerState {
  if (event.type === 'WorkerRegistered') {
    const { name, ...capabilities } = event.data;
    if (state.status === 'online' || state.status === 'offline' || state.status === 'lost')
      return { ...state, capabilities };
    return { status: 'offline', name, capabilities, drained: false };
  }
  if (state.status === 'unregistered' || state.status === 'removed') return state;
  switch (event.type) {
    case 'WorkerConnected':
      return { ...state, status: 'online' };
    case 'WorkerDisconnected':
      return { ...state, status: 'offline' };
    case 'WorkerLost':
      return { ...state, status: 'lost' };
    case 'WorkerDrained':
      return { ...state, drained: true };
    case 'WorkerResumed':
      return { ...state, drained: false };
    case 'WorkerRemoved':
      return { status: 'removed', name: state.name };
    default:
      return unreachable(event);
  }
}
