import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type WorkerEvent, workerDecider } from '../../../domain/worker/index.ts';
import { givenFor } from '../given.ts';

const given = givenFor(workerDecider);
const base = { name: 'w1', at: '2024-05-01T12:00:00Z', actor: 'dispatcher' } as const;
const capabilities = {
  systems: ['x86_64-linux'],
  cores: 16,
  memoryBytes: 64 * 2 ** 30,
  diskBytes: 500 * 2 ** 30,
  version: '0.1.0',
};
const registered: WorkerEvent = { type: 'WorkerRegistered', data: { name: 'w1', ...capabilities } };
const connected: WorkerEvent = { type: 'WorkerConnected', data: { name: 'w1' } };
const lost: WorkerEvent = { type: 'WorkerLost', data: { name: 'w1', lastSeenAt: '2024-05-01T11:59:00Z' } };
const drained: WorkerEvent = { type: 'WorkerDrained', data: { name: 'w1', by: 'user:ops' } };

const workers = suite('a worker');

workers('registers once per set of capabilities, and again when they change', () => {
  given([])
    .when({ ...base, type: 'RegisterWorker', capabilities })
    .then([registered]);
  given([registered])
    .when({ ...base, type: 'RegisterWorker', capabilities: { ...capabilities } })
    .thenNothing();
  const bigger = { ...capabilities, systems: ['x86_64-linux', 'i686-linux'] };
  given([registered])
    .when({ ...base, type: 'RegisterWorker', capabilities: bigger })
    .then([{ type: 'WorkerRegistered', data: { name: 'w1', ...bigger } }]);
  given([])
    .when({ ...base, type: 'RegisterWorker', capabilities: { ...capabilities, systems: [] } })
    .thenThrows('TALLY_WORKER_INVALID');
});

workers('connects, disconnects and is lost only while connected', () => {
  given([registered])
    .when({ ...base, type: 'ConnectWorker' })
    .then([connected]);
  given([registered, connected])
    .when({ ...base, type: 'ConnectWorker' })
    .thenNothing();
  given([registered, connected])
    .when({ ...base, type: 'DisconnectWorker' })
    .then([{ type: 'WorkerDisconnected', data: { name: 'w1' } }]);
  given([registered, connected])
    .when({ ...base, type: 'MarkWorkerLost', lastSeenAt: '2024-05-01T11:59:00Z' })
    .then([lost]);
  given([registered, connected, lost])
    .when({ ...base, type: 'MarkWorkerLost', lastSeenAt: '2024-05-01T11:59:00Z' })
    .thenThrows('TALLY_WORKER_NOT_CONNECTED');
  given([registered])
    .when({ ...base, type: 'DisconnectWorker' })
    .thenThrows('TALLY_WORKER_NOT_CONNECTED');
  given([])
    .when({ ...base, type: 'ConnectWorker' })
    .thenThrows('TALLY_WORKER_NOT_FOUND');
  given([registered, connected, lost])
    .when({ ...base, type: 'ConnectWorker' })
    .then([connected]);
});

workers('is drained and resumed by someone, idempotently', () => {
  const ops = { ...base, actor: 'user:ops' } as const;
  given([registered, connected])
    .when({ ...ops, type: 'DrainWorker' })
    .then([drained]);
  given([registered, drained])
    .when({ ...ops, type: 'DrainWorker' })
    .thenNothing();
  given([registered, drained])
    .when({ ...ops, type: 'ResumeWorker' })
    .then([{ type: 'WorkerResumed', data: { name: 'w1', by: 'user:ops' } }]);
  given([registered])
    .when({ ...ops, type: 'ResumeWorker' })
    .thenNothing();
  const state = given([registered, connected, drained]).state;
  assert.ok(state.status === 'online' && state.drained);
});

workers('is removed once it is not connected, and may register again', () => {
  const removed: WorkerEvent = { type: 'WorkerRemoved', data: { name: 'w1', by: 'user:ops' } };
  given([registered, drained])
    .when({ ...base, actor: 'user:ops', type: 'RemoveWorker' })
    .then([removed]);
  given([registered, connected, drained])
    .when({ ...base, actor: 'user:ops', type: 'RemoveWorker' })
    .thenThrows('TALLY_WORKER_CONNECTED');
  given([registered, connected, lost])
    .when({ ...base, actor: 'user:ops', type: 'RemoveWorker' })
    .then([removed]);
  given([registered, removed])
    .when({ ...base, type: 'ConnectWorker' })
    .thenThrows('TALLY_WORKER_NOT_FOUND');
  given([registered, removed])
    .when({ ...base, type: 'RegisterWorker', capabilities })
    .then([registered]);
  const state = given([registered, drained, removed, registered]).state;
  assert.ok(state.status === 'offline' && !state.drained);
});

workers.run();
