/**
 * Random valid histories for property tests of the read models: random commands decided by the real
 * build and worker deciders (refused ones are dropped), so every history is one the farm could record.
 */
import fc from 'fast-check';
import { type BuildCommand, type BuildState, buildDecider } from '../../../domain/build/index.ts';
import type { TallyEvent } from '../../../domain/events.ts';
import { isDomainError } from '../../../domain/shared/errors.ts';
import { type WorkerCommand, type WorkerState, workerDecider } from '../../../domain/worker/index.ts';
import { output } from './builds.ts';
import { at, drv, type Timed } from './history.ts';

const drvs = ['a', 'b', 'c', 'd', 'e'].map(drv);
const workers = ['w1', 'w2'];
const systems = ['x86_64-linux', 'aarch64-linux'];

interface Step {
  readonly kind: number;
  readonly target: number;
  readonly choice: number;
  /** Minutes since the previous step; large jumps cross days. */
  readonly gap: number;
}

const step: fc.Arbitrary<Step> = fc.record({
  kind: fc.integer({ min: 0, max: 16 }),
  target: fc.nat(),
  choice: fc.nat(),
  gap: fc.oneof(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 3 * 24 * 60 })),
});

function buildCommand(s: Step, drvPath: string, time: string, build: BuildState): BuildCommand | undefined {
  const base = { drvPath, at: time, actor: 'dispatcher' as const };
  const current =
    build.status === 'dispatched' || build.status === 'building'
      ? build.current.attemptId
      : `x${s.choice % 3}`;
  const timings = { startedAt: at(0), finishedAt: time };
  switch (s.kind) {
    case 0:
    case 1: {
      const dependencies = drvs.filter((other, i) => other !== drvPath && (s.choice >> i) & 1);
      const system = systems[s.choice % 2]!;
      const wantedBy = [{ spec: `spec${s.choice % 3}`, evaluation: 'e', job: drvPath.slice(44) }];
      return { ...base, type: 'QueueBuild', system, wantedBy, priority: s.choice % 4, dependencies };
    }
    case 2:
      return { ...base, type: 'SubstituteBuild', from: 'https://cache', outputs: [output] };
    case 3:
    case 4: {
      const name = workers[s.choice % 2]!;
      const attemptId = `${drvPath}#${s.target}-${s.choice}`;
      return { ...base, type: 'DispatchBuild', worker: { name, systems }, attemptId };
    }
    case 5:
      return { ...base, type: 'StartBuild', attemptId: current };
    case 6:
      return { ...base, type: 'SucceedBuild', attemptId: current, outputs: [output], timings };
    case 7: {
      const root = drvs[s.choice % drvs.length]!;
      const reason =
        s.choice % 2 ? ({ kind: 'dependency-failed', root } as const) : ({ kind: 'timed-out' } as const);
      return s.choice % 3
        ? { ...base, type: 'FailBuild', reason, attemptId: current }
        : { ...base, type: 'FailBuild', reason };
    }
    case 8:
      return { ...base, type: 'CancelBuild', actor: 'user:alice' };
    case 9:
      return { ...base, type: 'RestartBuild', actor: 'user:alice' };
    case 10:
      return {
        ...base,
        type: 'RequeueBuild',
        attemptId: current,
        why: 'worker-lost',
        notBefore: at(s.choice % 5000),
      };
    default:
      return undefined;
  }
}

function workerCommand(s: Step, name: string, time: string): WorkerCommand {
  const base = { name, at: time, actor: 'dispatcher' as const };
  switch (s.kind) {
    case 11: {
      const capabilities = {
        systems,
        cores: 1 + (s.choice % 8),
        memoryBytes: 2 ** 30,
        diskBytes: 2 ** 34,
        version: `0.${s.choice % 2}`,
      };
      return { ...base, type: 'RegisterWorker', capabilities };
    }
    case 12:
      return { ...base, type: s.choice % 2 ? 'ConnectWorker' : 'DisconnectWorker' };
    case 13:
      return { ...base, type: 'MarkWorkerLost', lastSeenAt: time };
    case 14:
      return { ...base, type: s.choice % 2 ? 'DrainWorker' : 'ResumeWorker', actor: 'user:alice' };
    default:
      return { ...base, type: 'RemoveWorker', actor: 'user:alice' };
  }
}

function decided<C, E, S>(
  decide: (command: C, state: S) => readonly E[],
  command: C,
  state: S,
): readonly E[] {
  try {
    return decide(command, state);
  } catch (error) {
    if (isDomainError(error)) return [];
    throw error;
  }
}

/** Turns random steps into the events the deciders accept, each stamped with its time. */
export function historyOf(steps: readonly Step[]): Timed[] {
  const builds = new Map<string, BuildState>();
  const workerStates = new Map<string, WorkerState>();
  const history: Timed[] = [];
  let minutes = 0;
  let evaluations = 0;
  for (const s of steps) {
    minutes += s.gap;
    const time = at(minutes);
    const push = (event: TallyEvent) => history.push({ event, at: time });
    if (s.kind >= 11 && s.kind <= 15) {
      const name = workers[s.target % workers.length]!;
      const state = workerStates.get(name) ?? workerDecider.initialState;
      const events = decided(workerDecider.decide, workerCommand(s, name, time), state);
      workerStates.set(name, events.reduce(workerDecider.evolve, state));
      events.forEach(push);
      continue;
    }
    const drvPath = drvs[s.target % drvs.length]!;
    const state = builds.get(drvPath) ?? buildDecider.initialState;
    const command = buildCommand(s, drvPath, time, state);
    if (!command) {
      const evaluationId = `e${evaluations++}`;
      push({
        type: 'EvaluationCompleted',
        data: { evaluationId, jobCount: s.choice % 100, durationMs: s.choice },
      });
      continue;
    }
    const events = decided(buildDecider.decide, command, state);
    builds.set(drvPath, events.reduce(buildDecider.evolve, state));
    events.forEach(push);
  }
  return history;
}

/** Random valid histories of up to `maxLength` steps. */
export const randomHistory = (maxLength = 80): fc.Arbitrary<Timed[]> =>
  fc.array(step, { maxLength }).map(historyOf);
