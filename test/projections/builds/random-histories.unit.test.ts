import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { TallyEvent } from '../../../domain/events.ts';
import { builds } from '../../../projections/builds/index.ts';
import { evaluations } from '../../../projections/evaluations/index.ts';
import { jobsets } from '../../../projections/jobsets/index.ts';
import type { Projection } from '../../../projections/runtime/projection.ts';
import { drv, FarmHistory, fold, job } from '../fixtures/farm-history.ts';

const test = suite('read models over random valid histories');

type Step =
  | { kind: 'evaluate'; spec: number; versions: number[]; branch: 'wip-a' | 'wip-b' }
  | { kind: 'fail-evaluation'; spec: number }
  | { kind: 'build'; pkg: number; outcome: 'succeeded' | 'failed' | 'timed-out' }
  | { kind: 'substitute' | 'cancel' | 'restart' | 'requeue' | 'dependency'; pkg: number }
  | { kind: 'poll-failed' | 'poll-recovered' | 'deactivate' | 'update' | 'delete-branch'; spec: number };

const spec = fc.integer({ min: 0, max: 2 });
const pkg = fc.integer({ min: 0, max: 5 });
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('evaluate' as const),
    spec,
    versions: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 6 }),
    branch: fc.constantFrom('wip-a' as const, 'wip-b' as const),
  }),
  fc.record({ kind: fc.constant('fail-evaluation' as const), spec }),
  fc.record({
    kind: fc.constant('build' as const),
    pkg,
    outcome: fc.constantFrom('succeeded' as const, 'failed' as const, 'timed-out' as const),
  }),
  fc.record({
    kind: fc.constantFrom(
      'substitute' as const,
      'cancel' as const,
      'restart' as const,
      'requeue' as const,
      'dependency' as const,
    ),
    pkg,
  }),
  fc.record({
    kind: fc.constantFrom(
      'poll-failed' as const,
      'poll-recovered' as const,
      'deactivate' as const,
      'update' as const,
      'delete-branch' as const,
    ),
    spec,
  }),
);

/** Plays the steps as the farm would, skipping those that make no sense in the current state. */
function play(steps: readonly Step[]): FarmHistory {
  const farm = new FarmHistory();
  const specs = ['a', 'b', 'c'];
  farm.registerSpec('a');
  farm.registerSpec('b');
  // c follows a branch pattern: each branch its own line, and a branch deleted now and then.
  const url = 'https://git.example.org/c.git';
  farm.registerSpec('c', { channels: [{ name: 'main', url, branchPattern: 'wip-*' }] });
  const status = new Map<string, 'queued' | 'running' | 'finished'>();
  let lastJobs: string[] = [];
  for (const s of steps) {
    const name = specs['spec' in s ? s.spec : 0]!;
    switch (s.kind) {
      case 'evaluate': {
        const jobs = s.versions.map((v, n) => job(`p${n}`, { version: String(v) }));
        const checkouts = name === 'c' ? [farm.detectCheckout(name, { branch: s.branch })] : undefined;
        const id = farm.evaluate(name, jobs, checkouts ? { checkouts } : {});
        for (const drvPath of farm.scheduleBuilds(id)) status.set(drvPath, 'queued');
        lastJobs = [...new Set(jobs.map((j) => j.drvPath))];
        break;
      }
      case 'fail-evaluation': {
        const id = farm.requestEvaluation(name);
        farm.startEvaluation(id);
        farm.failEvaluation(id);
        break;
      }
      case 'poll-failed':
        farm.pollFailed(name);
        break;
      case 'poll-recovered':
        farm.pollRecovered(name);
        break;
      case 'deactivate':
        farm.deactivateSpec(name);
        break;
      case 'update':
        farm.updateSpec(name, { priority: 3 });
        break;
      case 'delete-branch':
        farm.deleteBranch(name, 'main', 'wip-a');
        break;
      default: {
        const drvPath = lastJobs[s.pkg % Math.max(1, lastJobs.length)];
        if (drvPath === undefined) break;
        const now = status.get(drvPath);
        if (s.kind === 'restart' && now === 'finished') {
          farm.restart(drvPath);
          status.set(drvPath, 'queued');
        } else if (s.kind === 'requeue' && now === 'queued') {
          farm.dispatch(drvPath);
          farm.requeue(drvPath);
        } else if (now === 'queued' && s.kind === 'build') {
          farm.build(drvPath, s.outcome === 'timed-out' ? { kind: 'timed-out' } : s.outcome);
          status.set(drvPath, 'finished');
        } else if (now === 'queued' && s.kind !== 'restart' && s.kind !== 'requeue') {
          if (s.kind === 'substitute') farm.substitute(drvPath);
          else if (s.kind === 'cancel') farm.cancel(drvPath);
          else if (s.kind === 'dependency') farm.failDependency(drvPath, drv('root-1'));
          status.set(drvPath, 'finished');
        }
      }
    }
  }
  return farm;
}

const projections: Projection<unknown, TallyEvent>[] = [
  builds.projection as Projection<unknown, TallyEvent>,
  evaluations.projection as Projection<unknown, TallyEvent>,
  jobsets.projection as Projection<unknown, TallyEvent>,
];

test('folding never throws and every state survives a JSON snapshot unchanged', () => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
      const farm = play(steps);
      for (const projection of projections) {
        const state = fold(projection, farm.events);
        assert.equal(JSON.parse(JSON.stringify(state)), state, projection.name);
      }
    }),
    { numRuns: 150 },
  );
});

test('a state rebuilt from a snapshot half way ends equal to one folded straight through', () => {
  fc.assert(
    fc.property(
      fc.array(step, { maxLength: 40 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (steps, cut) => {
        const { events } = play(steps);
        const at = Math.floor(events.length * cut);
        for (const projection of projections) {
          let state = JSON.parse(JSON.stringify(fold(projection, events.slice(0, at))));
          for (const projected of events.slice(at))
            if (projection.canHandle(projected.event.type)) state = projection.evolve(state, projected);
          assert.equal(state, fold(projection, events), projection.name);
        }
      },
    ),
    { numRuns: 100 },
  );
});

test.run();
