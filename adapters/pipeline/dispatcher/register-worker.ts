/**
 * A worker that connects is recorded in its stream: registered with what it offers (again on every
 * connection, since its capabilities may have changed), then connected.
 */
import { randomUUID } from 'node:crypto';
import { streams } from '../../../domain/shared/streams.ts';
import { workerDecider } from '../../../domain/worker/index.ts';
import type { EventStore } from '../../eventstore/event-store.ts';
import type { WorkerLink } from '../../workers/worker-link.ts';
import { issue, processCause } from '../issue.ts';

export async function registerWorker(events: EventStore, link: WorkerLink, now: () => number): Promise<void> {
  const { name, systems, cores, memoryBytes, diskBytes, version } = link.capabilities;
  const stream = streams.worker(name);
  const cause = processCause(`connect:${name}:${randomUUID()}`);
  const at = new Date(now()).toISOString();
  const capabilities = { systems, cores, memoryBytes, diskBytes, version };
  await issue(
    events,
    workerDecider,
    stream,
    { type: 'RegisterWorker', name, capabilities, actor: 'dispatcher', at },
    cause,
    'dispatcher',
  );
  await issue(
    events,
    workerDecider,
    stream,
    { type: 'ConnectWorker', name, actor: 'dispatcher', at },
    cause,
    'dispatcher',
  );
}
