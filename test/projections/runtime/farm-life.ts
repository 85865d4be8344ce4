/**
 * Random valid histories of a whole farm, for property tests over every read model at once: the
 * core bench's synthetic farm at a small scale (its options and seed chosen at random), then a tail of
 * what the synthetic farm never does (specifications updated, deactivated and removed, branches,
 * failed polls, failed and aborted evaluations, builds left waiting, dispatched, requeued, cancelled
 * and restarted), merged in time order with the decider-driven history of builds with dependencies
 * and workers' lives that the queue tests use.
 */
import fc from 'fast-check';
import { eventRegistry, type TallyEvent } from '../../../domain/events.ts';
import { streams } from '../../../domain/shared/streams.ts';
import type { ProjectedEvent } from '../../../projections/runtime/projection.ts';
import { type FarmHistory, job, type SyntheticFarmOptions, syntheticFarm } from '../fixtures/farm-history.ts';
import type { Timed } from '../queue/history.ts';
import { historyOf } from '../queue/random-history.ts';

/** How large a synthetic farm may be: a few hundred events at most when small, over a thousand when large. */
export type FarmSize = 'small' | 'large';

const farmOptions = (size: FarmSize): fc.Arbitrary<SyntheticFarmOptions> =>
  fc.record({
    specs: size === 'small' ? fc.integer({ min: 2, max: 4 }) : fc.integer({ min: 5, max: 6 }),
    evaluationsPerSpec: size === 'small' ? fc.integer({ min: 1, max: 4 }) : fc.integer({ min: 5, max: 6 }),
    jobsPerEvaluation: size === 'small' ? fc.integer({ min: 1, max: 6 }) : fc.integer({ min: 18, max: 24 }),
    churn: fc.double({ min: 0, max: 1, noNaN: true }),
    substituted: fc.double({ min: 0, max: 1, noNaN: true }),
    failing: fc.double({ min: 0, max: 1, noNaN: true }),
    sharing: fc.integer({ min: 1, max: 3 }),
    seed: fc.nat(),
  });

/**
 * Steps of the queue tests' decided history (`historyOf`): builds with dependencies and the workers'
 * lives, each command decided by the real deciders. Longer than `randomHistory` draws them by default,
 * so that the rarer worker and build events come up within the few runs a slow machine can afford.
 */
const decidedSteps = fc.array(
  fc.record({
    // Worker commands (11-15) twice as often: the deciders refuse many of them at random.
    kind: fc.oneof(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 11, max: 15 })),
    target: fc.nat(),
    choice: fc.nat(),
    gap: fc.oneof(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 3 * 24 * 60 })),
  }),
  { minLength: 10, maxLength: 80 },
);

interface TailStep {
  readonly kind: number;
  readonly target: number;
  readonly choice: number;
}

const tailStep: fc.Arbitrary<TailStep> = fc.record({
  kind: fc.integer({ min: 0, max: 15 }),
  target: fc.nat({ max: 1000 }),
  choice: fc.nat({ max: 1000 }),
});

type Waiting = 'queued' | 'dispatched' | 'building';

/** What the tail needs to know of the farm to keep each step one the deciders would accept. */
interface TailState {
  readonly specs: string[];
  readonly inactive: Set<string>;
  readonly pollFailing: Set<string>;
  readonly sideBranches: Set<string>;
  readonly waiting: Map<string, Waiting>;
  readonly finished: string[];
  rounds: number;
}

const pick = <T>(items: readonly T[], n: number): T | undefined => items[n % Math.max(1, items.length)];

/** Which waiting builds each build step applies to (the deciders refuse it for the others). */
const appliesTo: Record<number, readonly Waiting[]> = {
  9: ['queued', 'dispatched', 'building'],
  10: ['queued', 'dispatched', 'building'],
  11: ['queued', 'dispatched', 'building'],
  12: ['queued'],
};

function playBuildStep(farm: FarmHistory, s: TailStep, state: TailState): void {
  const { waiting, finished } = state;
  if (s.kind === 15) {
    const drvPath = pick(finished, s.target);
    if (drvPath === undefined) return;
    farm.restart(drvPath, 'flaky');
    finished.splice(finished.indexOf(drvPath), 1);
    waiting.set(drvPath, 'queued');
    return;
  }
  const allowed = appliesTo[s.kind] ?? ['queued'];
  const candidates = [...waiting].filter(([, now]) => allowed.includes(now));
  const [drvPath, now] = pick(candidates, s.target) ?? [];
  if (drvPath === undefined || now === undefined) return;
  const finish = () => {
    waiting.delete(drvPath);
    finished.push(drvPath);
  };
  switch (s.kind) {
    case 9:
      if (now === 'queued') {
        farm.dispatch(drvPath, pick(['w1', 'w2'], s.choice));
        waiting.set(drvPath, 'dispatched');
      } else if (now === 'dispatched') {
        farm.startBuild(drvPath);
        waiting.set(drvPath, 'building');
      } else {
        farm.storeLog(drvPath);
        if (s.choice % 3 === 0) farm.fail(drvPath, { kind: 'signal', signal: 'SIGKILL' });
        else farm.succeed(drvPath);
        finish();
      }
      return;
    case 10:
      // A queued build is dispatched first: its worker is lost before it starts.
      if (now === 'queued') farm.dispatch(drvPath, pick(['w1', 'w2'], s.choice));
      farm.requeue(drvPath, 'worker-lost', s.choice % 120);
      waiting.set(drvPath, 'queued');
      return;
    case 11:
      farm.cancel(drvPath, 'not wanted any more');
      finish();
      return;
    case 12:
      farm.substitute(drvPath);
      finish();
      return;
    default:
      farm.build(drvPath, s.choice % 2 ? 'succeeded' : { kind: 'timed-out' });
      finish();
  }
}

function playTailStep(farm: FarmHistory, s: TailStep, state: TailState): void {
  const spec = pick(state.specs, s.target);
  if (spec === undefined) return;
  farm.tick(s.choice % 600);
  switch (s.kind) {
    case 0:
      farm.updateSpec(spec, { priority: s.choice % 4, keepEvaluations: 1 + (s.choice % 5) });
      return;
    case 1:
      if (state.inactive.delete(spec)) farm.activateSpec(spec);
      else {
        farm.deactivateSpec(spec, 'paused');
        state.inactive.add(spec);
      }
      return;
    case 2:
      if (state.pollFailing.delete(spec)) farm.pollRecovered(spec);
      else {
        farm.pollFailed(spec, 'main', s.choice % 2 ? 'fetch-failed' : 'auth-failed');
        state.pollFailing.add(spec);
      }
      return;
    case 3:
      if (state.sideBranches.delete(spec)) farm.deleteBranch(spec, 'main', 'feature');
      else {
        farm.detectCheckout(spec, { branch: 'feature' });
        state.sideBranches.add(spec);
      }
      return;
    case 4: {
      const id = farm.requestEvaluation(spec);
      if (s.choice % 2) farm.abortEvaluation(id);
      else {
        farm.startEvaluation(id);
        farm.failEvaluation(id, 'evaluator-error');
      }
      return;
    }
    case 5:
    case 6: {
      if (state.inactive.has(spec)) return;
      state.rounds += 1;
      // Half the jobs keep the synthetic farm's derivations (wanted again), half are new (queued).
      const jobs = Array.from({ length: 1 + (s.choice % 4) }, (_, j) =>
        job(`g0p${j}`, { version: j % 2 ? '0' : `t${state.rounds}` }),
      );
      const evaluation = farm.evaluate(spec, jobs);
      // Builds that ended reused as the scheduler reuses them, or wanted one by one as earlier versions did.
      const reuseEnded = s.choice % 2 === 0;
      for (const drvPath of farm.scheduleBuilds(evaluation, { reuseEnded }))
        state.waiting.set(drvPath, 'queued');
      return;
    }
    case 7:
      if (state.specs.length <= 1 || s.choice % 4 !== 0) return;
      farm.removeSpec(spec);
      state.specs.splice(state.specs.indexOf(spec), 1);
      return;
    default:
      playBuildStep(farm, s, state);
  }
}

/** The synthetic farm, then the tail's steps played on the same farm (its clock and names go on). */
function farmLife(options: SyntheticFarmOptions, tail: readonly TailStep[]): ProjectedEvent<TallyEvent>[] {
  const farm = syntheticFarm(options);
  const finished = [
    ...new Set(
      farm.events.flatMap(({ event }) => (event.type === 'BuildQueued' ? [event.data.drvPath] : [])),
    ),
  ];
  const state: TailState = {
    specs: Array.from({ length: options.specs }, (_, n) => `spec${n}`),
    inactive: new Set(),
    pollFailing: new Set(),
    sideBranches: new Set(),
    waiting: new Map(),
    finished,
    rounds: 0,
  };
  for (const s of tail) playTailStep(farm, s, state);
  return farm.events;
}

function streamOf(event: TallyEvent): string {
  const data = event.data as { drvPath?: string; name?: string };
  return data.drvPath !== undefined ? streams.build(data.drvPath) : streams.worker(data.name!);
}

/**
 * The decided history as the store would hold it: each event on its aggregate's stream with the
 * schema version it is written in (a reader upcasts older versions, whose shapes differ). Its
 * evaluation completions are left out: they name evaluations never requested, which no farm records.
 */
function recorded(history: readonly Timed[]): ProjectedEvent<TallyEvent>[] {
  const revisions = new Map<string, number>();
  const decided = history.filter(({ event }) => event.type !== 'EvaluationCompleted');
  return decided.map(({ event, at }, position) => {
    const streamId = streamOf(event);
    const revision = (revisions.get(streamId) ?? -1) + 1;
    revisions.set(streamId, revision);
    const { schemaVersion } = eventRegistry[event.type];
    const metadata = { schemaVersion, correlationId: streamId, causationId: streamId, actor: 'system', at };
    return { event, streamId, revision, position, metadata, recordedAt: new Date(at) };
  });
}

const timeOf = (projected: ProjectedEvent<TallyEvent>) => Date.parse(projected.metadata.at as string);

/** Two histories of disjoint aggregates as one, in the order of their facts, positions renumbered. */
function mergeInTime(
  first: readonly ProjectedEvent<TallyEvent>[],
  second: readonly ProjectedEvent<TallyEvent>[],
): ProjectedEvent<TallyEvent>[] {
  const merged: ProjectedEvent<TallyEvent>[] = [];
  let i = 0;
  let j = 0;
  while (i < first.length || j < second.length) {
    const takeFirst = j >= second.length || (i < first.length && timeOf(first[i]!) <= timeOf(second[j]!));
    const next = takeFirst ? first[i++]! : second[j++]!;
    merged.push({ ...next, position: merged.length });
  }
  return merged;
}

/** One line per event, so that a shrunk counterexample reads as the history it is. */
function describe(history: readonly ProjectedEvent<TallyEvent>[]): string {
  const lines = history.map(({ position, event, metadata }) => {
    const data = JSON.stringify(event.data);
    return `  #${position} ${metadata.at as string} ${event.type} ${data.length > 200 ? `${data.slice(0, 200)}…` : data}`;
  });
  return `${history.length} events:\n${lines.join('\n')}`;
}

/** A whole farm's random valid history: every read model of the catalogue has events to fold. */
export const farmLives = (size: FarmSize = 'small'): fc.Arbitrary<ProjectedEvent<TallyEvent>[]> =>
  fc
    .tuple(farmOptions(size), fc.array(tailStep, { minLength: 5, maxLength: 60 }), decidedSteps)
    .map(([options, tail, steps]) => {
      const history = mergeInTime(farmLife(options, tail), recorded(historyOf(steps)));
      return Object.assign(history, { [fc.toStringMethod]: () => describe(history) });
    });
