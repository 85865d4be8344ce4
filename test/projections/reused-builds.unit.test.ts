/**
 * An evaluation's reused builds (`EvaluationBuildsReused`) fold into every read model that counts
 * wanters exactly as the `BuildWanted` events they stand for: a farm recorded either way reads the
 * same in the builds, metrics, pipeline and queue read models.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { BuildWanted } from '../../domain/build/events.ts';
import type { EvaluationBuildsReused } from '../../domain/evaluation/events.ts';
import type { TallyEvent } from '../../domain/events.ts';
import { streams } from '../../domain/shared/streams.ts';
import { allProjections } from '../../projections/catalogue.ts';
import type { ProjectedEvent } from '../../projections/runtime/projection.ts';
import { hashState } from '../../projections/runtime/state-hash.ts';
import { drv, FarmHistory, fold, job } from './fixtures/farm-history.ts';

const test = suite('reused builds');

/**
 * A farm whose second evaluation wants builds of the first (one succeeded, one failed, one still
 * queued), recorded as `BuildWanted` events; and the same with the wants of the ended builds recorded
 * as one `EvaluationBuildsReused` where the first of them stood.
 */
function bothWays() {
  const farm = new FarmHistory();
  farm.registerSpec('guix', { priority: 3 });
  const jobs = [job('hello'), job('zlib'), job('curl')];
  farm.scheduleBuilds(farm.evaluate('guix', jobs));
  farm.build(drv('hello-1.0'), 'succeeded');
  farm.build(drv('zlib-1.0'), 'failed');
  const before = farm.events.length;
  const second = farm.evaluate('guix', [...jobs, { ...job('hello'), name: 'hello-again' }]);
  farm.scheduleBuilds(second);
  const wanted = farm.events;
  const ended = new Set([drv('hello-1.0'), drv('zlib-1.0')]);
  const replaced = wanted
    .slice(before)
    .filter(
      (each): each is ProjectedEvent<BuildWanted> =>
        each.event.type === 'BuildWanted' && ended.has(each.event.data.drvPath),
    );
  assert.is(replaced.length, 2);
  const reused: EvaluationBuildsReused = {
    type: 'EvaluationBuildsReused',
    data: {
      evaluationId: second,
      chunk: 0,
      spec: 'guix',
      priority: 3,
      builds: replaced.map(({ event }) => ({
        drvPath: event.data.drvPath,
        jobs: event.data.wantedBy.map((wanter) => wanter.job),
      })),
    },
  };
  const last = replaced[replaced.length - 1]!;
  const asOne: ProjectedEvent<TallyEvent> = { ...last, streamId: streams.evaluation(second), event: reused };
  const recorded = wanted.flatMap((each) =>
    each === replaced[0] ? [asOne] : replaced.includes(each as never) ? [] : [each],
  );
  return { wanted, recorded, second };
}

test('reads the same as the BuildWanted events it stands for, in every read model that counts wanters', () => {
  const { wanted, recorded } = bothWays();
  for (const name of ['builds', 'metrics', 'pipeline', 'queue']) {
    const projection = allProjections.find((each) => each.name === name)!;
    assert.ok(projection.canHandle('EvaluationBuildsReused'), name);
    assert.is(hashState(fold(projection, recorded)), hashState(fold(projection, wanted)), name);
  }
});

test('counts its jobs as scheduled for the evaluation', () => {
  const { recorded, second } = bothWays();
  const pipeline = allProjections.find((each) => each.name === 'pipeline')!;
  const state = fold(pipeline, recorded) as { evaluations: Record<string, unknown> };
  // Completed, and every one of its four jobs recorded as a wanter: no longer pending.
  assert.is(state.evaluations[second], undefined);
});

test.run();
