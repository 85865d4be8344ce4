import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { EvaluationEvent } from '../../../domain/evaluation/events.ts';
import {
  metricsProjection,
  metricsSummary,
  prometheusFamilies,
  toPrometheusText,
} from '../../../projections/metrics/index.ts';
import { sampleCapacity } from '../../../projections/metrics/sample.ts';
import { dayCapacity, hourCapacity } from '../../../projections/metrics/state.ts';
import { getIn } from '../../../projections/shared/persistent-map.ts';
import {
  cancelled,
  dependencyFailed,
  dispatched,
  failed,
  queued,
  restarted,
  started,
  substituted,
  succeeded,
  wanted,
} from '../queue/builds.ts';
import { at, drv, fold, givenFor, project, type Timed, when } from '../queue/history.ts';
import { randomHistory } from '../queue/random-history.ts';

const given = givenFor(metricsProjection);
const test = suite('metrics read model');
const minute = 60_000;

const completed = (evaluationId: string, durationMs: number): EvaluationEvent => ({
  type: 'EvaluationCompleted',
  data: { evaluationId, jobCount: 10, durationMs },
});

/**
 * Day one (2024-05-01): three evaluations (10 s, 20 s, 60 s); b1…b10 queued at 0, build i starts at
 * 10 + i (waited 10 + i minutes) and takes i minutes; s1, s2 substituted; f1 fails its attempt; f2
 * fails by dependency (spec `other` only); c1 is cancelled. Another job of `other` wants b1.
 * Day two: f1 is restarted and succeeds in 2 minutes.
 */
function farmDay(): Timed[] {
  const history: Timed[] = [
    when(0, completed('e1', 10_000)),
    when(1, completed('e2', 20_000)),
    when(2, completed('e3', 60_000)),
  ];
  for (let i = 1; i <= 10; i++) history.push(when(0, queued(drv(`b${i}`))));
  history.push(when(0, wanted(drv('b1'), 5, 'other')));
  for (const name of ['s1', 's2', 'f1', 'c1']) history.push(when(0, queued(drv(name))));
  history.push(when(0, queued(drv('f2'), { spec: 'other', dependencies: [drv('f1')] })));
  history.push(when(5, substituted(drv('s1'))), when(5, substituted(drv('s2'))));
  for (let i = 1; i <= 10; i++) {
    const b = drv(`b${i}`);
    history.push(when(10, dispatched(b)), when(10 + i, started(b, at(10 + i))));
    history.push(when(10 + 2 * i, succeeded(b, { startedAt: at(10 + i), finishedAt: at(10 + 2 * i) })));
  }
  history.push(when(30, dispatched(drv('f1'))), when(30, started(drv('f1'), at(30))));
  history.push(when(40, failed(drv('f1'))), when(40, dependencyFailed(drv('f2'), drv('f1'))));
  history.push(when(50, cancelled(drv('c1'))));
  const day2 = 24 * 60;
  history.push(when(day2 + 60, restarted(drv('f1'))));
  history.push(when(day2 + 61, dispatched(drv('f1'), 'w1', 'again', 2)));
  history.push(when(day2 + 62, started(drv('f1'), at(day2 + 62), 'again')));
  history.push(
    when(day2 + 64, succeeded(drv('f1'), { startedAt: at(day2 + 62), finishedAt: at(day2 + 64) }, 'again')),
  );
  return history;
}

test('counts builds by outcome and new derivations per day, and the substitute hit rate', () => {
  const state = given(farmDay());
  state.then(
    (s) => metricsSummary(s, { days: 2 }).days.map((d) => [d.day, d.builds, d.newDerivations]),
    [
      ['2024-05-01', { succeeded: 10, substituted: 2, failed: 1, 'dependency-failed': 1, cancelled: 1 }, 15],
      ['2024-05-02', { succeeded: 1, substituted: 0, failed: 0, 'dependency-failed': 0, cancelled: 0 }, 0],
    ],
  );
  // substituted / (substituted + succeeded + failed) = 2 / 13 on day one, 0 / 1 on day two.
  state.then((s) => metricsSummary(s, { days: 2 }).days.map((d) => d.substituteHitRate), [2 / 13, 0]);
  state.then((s) => metricsSummary(s, { days: 1 }).totals, {
    finished: { succeeded: 11, substituted: 2, failed: 1, 'dependency-failed': 1, cancelled: 1 },
    derivations: 15,
    evaluations: 3,
  });
});

test('gives evaluation durations (avg, p50, max) and build and queue-wait percentiles per day', () => {
  const [day1, day2] = metricsSummary(given(farmDay()).state, { days: 2 }).days;
  assert.equal(day1?.evaluations, { count: 3, avgMs: 30_000, p50Ms: 20_000, maxMs: 60_000 });
  // Durations 1…10 minutes, nearest rank: p50 = 5th, p90 = 9th, p99 = 10th.
  assert.equal(day1?.buildDurationMs, { count: 10, p50: 5 * minute, p90: 9 * minute, p99: 10 * minute });
  // Waits 11…20 minutes for b1…b10 and 30 for f1: eleven values, p50 = 6th, p90 = 10th, p99 = 11th.
  assert.equal(day1?.queueWaitMs, { count: 11, p50: 16 * minute, p90: 20 * minute, p99: 30 * minute });
  assert.equal(day2?.buildDurationMs, { count: 1, p50: 2 * minute, p90: 2 * minute, p99: 2 * minute });
  assert.equal(day2?.queueWaitMs, { count: 1, p50: 2 * minute, p90: 2 * minute, p99: 2 * minute });
  assert.equal(day2?.evaluations, { count: 0, avgMs: null, p50Ms: null, maxMs: null });
});

test('gives the failure rate of each specification per day', () => {
  given(farmDay()).then(
    (s) => metricsSummary(s, { days: 2 }).days.map((d) => d.failureRates),
    [
      [
        // main: b1…b10, s1, s2, f1 finished; f1 failed. other: b1 (wanted) and f2 (dependency-failed).
        { spec: 'main', finished: 13, failed: 1, rate: 1 / 13 },
        { spec: 'other', finished: 2, failed: 1, rate: 0.5 },
      ],
      [{ spec: 'main', finished: 1, failed: 0, rate: 0 }],
    ],
  );
});

test('samples the queue length per hour, carrying it over hours without events', () => {
  const summary = metricsSummary(given(farmDay()).state, { days: 2, now: at(24 * 60 + 179) });
  assert.is(summary.hours.length, 48);
  const byHour = new Map(summary.hours.map((h) => [h.hour, [h.queueLength, h.maxQueueLength]]));
  assert.equal(byHour.get(at(0)), [0, 15], 'fifteen queued in the first hour, all finished within it');
  assert.equal(byHour.get(at(24 * 60)), [0, 0]);
  assert.equal(byHour.get(at(25 * 60)), [0, 1], 'the restart put one back for a few minutes');
  assert.equal(byHour.get(at(26 * 60)), [0, 0]);
  assert.is(summary.queueLength, 0);
});

test('keeps at most a year of days, a week of hours and a bounded sample per day', () => {
  const history: Timed[] = [];
  for (let day = 0; day < dayCapacity + 40; day++) {
    const b = drv(`d${day}`);
    const t = day * 24 * 60;
    history.push(when(t, queued(b)), when(t + 1, started(b, at(t + 1))));
    history.push(when(t + 3, succeeded(b, { startedAt: at(t + 1), finishedAt: at(t + 3) })));
  }
  const busyDay = (dayCapacity + 40) * 24 * 60;
  for (let i = 0; i < sampleCapacity * 3; i++) {
    const b = drv(`busy${i}`);
    history.push(when(busyDay, queued(b)));
    history.push(
      when(busyDay + 1, succeeded(b, { startedAt: at(busyDay), finishedAt: at(busyDay + (i % 100) + 1) })),
    );
  }
  const state = fold(metricsProjection, history);
  assert.is(state.days.length, dayCapacity);
  assert.ok(state.hours.length <= hourCapacity);
  const last = state.days[state.days.length - 1]!;
  assert.is(last.buildDurations.count, sampleCapacity * 3);
  assert.is(last.buildDurations.values.length, sampleCapacity);
  assert.is(last.buildDurations.max, 100 * minute);
  const p50 = metricsSummary(state, { days: 1 }).days[0]!.buildDurationMs.p50!;
  assert.ok(
    Math.abs(p50 - 50 * minute) <= 10 * minute,
    `p50 of a uniform 1…100 minutes is near 50 (${p50 / minute})`,
  );
  assert.is(metricsSummary(state, { days: 400 }).days.length, 400, 'days before the kept year read as empty');
});

test('renders the figures as Prometheus gauges', () => {
  const state = given(farmDay()).state;
  const families = prometheusFamilies(state, { now: at(59) });
  const byName = new Map(families.map((f) => [f.name, f.samples]));
  assert.equal(byName.get('tally_queue_length'), [{ labels: {}, value: 0 }]);
  assert.equal(
    byName.get('tally_builds_total')?.find((s) => s.labels.outcome === 'succeeded'),
    {
      labels: { outcome: 'succeeded' },
      value: 11,
    },
  );
  assert.equal(byName.get('tally_build_duration_seconds'), [
    { labels: { quantile: '0.5' }, value: 300 },
    { labels: { quantile: '0.9' }, value: 540 },
    { labels: { quantile: '0.99' }, value: 600 },
  ]);
  assert.equal(byName.get('tally_substitute_hit_ratio'), [{ labels: {}, value: 2 / 13 }]);
  assert.ok(families.every((f) => f.type === 'gauge'));
  const text = toPrometheusText(families);
  assert.match(text, /# TYPE tally_queue_length gauge\ntally_queue_length 0\n/);
  assert.match(text, /tally_spec_failure_ratio\{spec="other"\} 0.5\n/);
  const quiet = prometheusFamilies(state, { now: at(10 * 24 * 60) });
  assert.equal(
    quiet.find((f) => f.name === 'tally_build_duration_seconds')?.samples,
    [],
    'no figure for an empty day',
  );
});

test('folding random valid histories never throws and survives a JSON round trip', () => {
  fc.assert(
    fc.property(randomHistory(), (history) => {
      const state = fold(metricsProjection, history);
      assert.equal(JSON.parse(JSON.stringify(state)), state);
      assert.ok(state.queueLength >= 0);
      const summary = metricsSummary(state, { days: 7 });
      assert.is(summary.days.length, 7);
      prometheusFamilies(state);
    }),
    { numRuns: 300 },
  );
});

test('builds finished with the same specifications share one record, and a restart from a JSON snapshot counts as from the live state', () => {
  const [a, b] = [drv('a'), drv('b')];
  const history = [
    when(0, queued(a)),
    when(0, queued(b)),
    when(1, substituted(a)),
    when(1, failed(b, { kind: 'exit-code', exitCode: 1 }, undefined)),
  ];
  const state = fold(metricsProjection, history);
  assert.is(getIn(state.builds, a), getIn(state.builds, b));
  assert.equal(getIn(state.builds, a), { specs: ['main'], live: false });
  const later = [when(2, restarted(b)), when(3, wanted(b, 1, 'other')), when(4, substituted(b))];
  const live = fold(metricsProjection, [...history, ...later]);
  let resumed = JSON.parse(JSON.stringify(state)) as typeof state;
  for (const projected of project([...history, ...later]).slice(history.length))
    resumed = metricsProjection.evolve(resumed, projected as never);
  assert.equal(resumed, live);
  assert.equal(getIn(live.builds, b), { specs: ['main', 'other'], live: false });
  assert.equal(
    metricsSummary(live, { days: 1 }).days[0]!.failureRates.map((r) => [r.spec, r.finished]),
    [
      ['main', 3],
      ['other', 1],
    ],
  );
});

test.run();
