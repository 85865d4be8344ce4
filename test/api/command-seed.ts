/**
 * Seeds for the command-route tests: facts the farm's own processes would have recorded (a queued or
 * failed build, an evaluation with jobs, a registered worker), written through the deciders.
 */
import { randomUUID } from 'node:crypto';
import { handleCommand } from '../../adapters/eventstore/command-handler.ts';
import type { EventStore } from '../../adapters/eventstore/event-store.ts';
import { buildDecider } from '../../domain/build/index.ts';
import { type EvaluationCommand, evaluationDecider } from '../../domain/evaluation/index.ts';
import type { Actor } from '../../domain/shared/metadata.ts';
import { workerDecider } from '../../domain/worker/index.ts';
import type { Json } from './api-fixture.ts';

const at = '2024-05-01T12:00:00Z';
const context = (actor: Actor) => ({ cause: { kind: 'command' as const, id: randomUUID() }, actor, at });

/** A derivation path whose hash part is `letter` × 32 (a nix32 letter). */
export const drv = (letter: string, name = 'hello') => `/nix/store/${letter.repeat(32)}-${name}.drv`;

export async function queueBuild(store: EventStore, drvPath: string, evaluation = 'e1') {
  const hash = drvPath.slice(11, 43);
  await handleCommand(
    store,
    buildDecider,
    `build-${hash}`,
    {
      type: 'QueueBuild',
      drvPath,
      system: 'x86_64-linux',
      wantedBy: [{ spec: 'guix', evaluation, job: drvPath }],
      priority: 0,
      dependencies: [],
      actor: 'scheduler',
      at,
    },
    context('scheduler'),
  );
  return hash;
}

export async function failBuild(store: EventStore, drvPath: string) {
  const hash = drvPath.slice(11, 43);
  await handleCommand(
    store,
    buildDecider,
    `build-${hash}`,
    { type: 'FailBuild', drvPath, reason: { kind: 'timed-out' }, actor: 'scheduler', at },
    context('scheduler'),
  );
}

/** A running evaluation with one job per derivation path. */
export async function evaluationWithJobs(
  store: EventStore,
  evaluationId: string,
  drvPaths: readonly string[],
) {
  const stream = `eval-${evaluationId}`;
  const base = { evaluationId, actor: 'evaluator' as const, at };
  const checkout = {
    channel: 'guix',
    url: 'https://git.guix.gnu.org/guix.git',
    branch: 'master',
    commit: 'c'.repeat(40),
    commitTime: at,
  };
  const jobs = drvPaths.map((drvPath, n) => ({
    name: `job${n}`,
    system: 'x86_64-linux',
    drvPath,
    outputs: { out: `/nix/store/${'d'.repeat(32)}-out${n}` },
  }));
  const commands: EvaluationCommand[] = [
    { ...base, type: 'RequestEvaluation', spec: 'guix', trigger: { kind: 'poll' }, checkouts: [checkout] },
    { ...base, type: 'StartEvaluation', evaluator: { kind: 'guix', entry: '(gnu ci)' } },
  ];
  if (jobs.length > 0) commands.push({ ...base, type: 'AddEvaluationJobs', chunk: 0, jobs });
  for (const command of commands)
    await handleCommand(store, evaluationDecider, stream, command, context('evaluator'));
}

export async function registerWorker(store: EventStore, name: string) {
  await handleCommand(
    store,
    workerDecider,
    `worker-${name}`,
    {
      type: 'RegisterWorker',
      name,
      capabilities: {
        systems: ['x86_64-linux'],
        cores: 4,
        memoryBytes: 1 << 30,
        diskBytes: 1 << 30,
        version: '1.0.0',
      },
      actor: `worker:${name}`,
      at,
    },
    context(`worker:${name}`),
  );
}

/** Records the registered worker `name` as connected, as the dispatcher does when it joins. */
export async function connectWorker(store: EventStore, name: string) {
  const command = { type: 'ConnectWorker', name, actor: 'dispatcher', at } as const;
  await handleCommand(store, workerDecider, `worker-${name}`, command, context('dispatcher'));
}

/** Every event of `stream`, or none when it does not exist. */
export async function streamOf(store: EventStore, stream: string) {
  const events = [];
  for await (const event of store.readStream(stream)) events.push(event);
  return events;
}

export type { Json };
