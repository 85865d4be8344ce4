import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type BuildEvent, type BuildState, evolveBuild } from '../../../domain/build/index.ts';
import { listQueue, queueProjection, queueSummary } from '../../../projections/queue/index.ts';
import { fold } from './history.ts';
import { randomHistory } from './random-history.ts';

const test = suite('queue read model over random histories');

/** The queue as a slow, obvious model computes it: each build's own state, and which have outputs now. */
function modelQueue(events: readonly BuildEvent[]): Map<string, { system: string; waitingOn: string[] }> {
  const builds = new Map<string, BuildState>();
  const satisfied = new Set<string>();
  for (const event of events) {
    const drvPath = event.data.drvPath;
    builds.set(drvPath, evolveBuild(builds.get(drvPath) ?? { status: 'none' }, event));
    if (event.type === 'BuildSucceeded' || event.type === 'BuildSubstituted') satisfied.add(drvPath);
    // Restarted, it is unfinished again: what depends on it waits for it, as the dispatcher's run queue does.
    if (event.type === 'BuildRestarted') satisfied.delete(drvPath);
  }
  const queued = new Map<string, { system: string; waitingOn: string[] }>();
  for (const [drvPath, build] of builds) {
    if (build.status !== 'queued') continue;
    queued.set(drvPath, {
      system: build.system,
      waitingOn: build.dependencies.filter((d) => !satisfied.has(d)),
    });
  }
  return queued;
}

test('folding never throws, survives a JSON round trip, and agrees with the obvious model', () => {
  fc.assert(
    fc.property(randomHistory(), (history) => {
      const state = fold(queueProjection, history);
      assert.equal(JSON.parse(JSON.stringify(state)), state);
      const buildEvents = history
        .map((t) => t.event)
        .filter((e): e is BuildEvent => e.type.startsWith('Build'));
      const expected = modelQueue(buildEvents);
      const listed = new Map<string, { system: string; waitingOn: string[] }>();
      for (const system of ['x86_64-linux', 'aarch64-linux']) {
        for (const item of listQueue(state, { system, limit: 1000, now: Number.MAX_SAFE_INTEGER }).items)
          listed.set(item.drvPath, { system: item.system, waitingOn: [...item.waitingOn] });
      }
      assert.equal(listed, expected);
      const summary = queueSummary(state, { now: Number.MAX_SAFE_INTEGER });
      assert.is(summary.runnable + summary.blocked, expected.size);
      assert.is(summary.blocked, [...expected.values()].filter((b) => b.waitingOn.length > 0).length);
    }),
    { numRuns: 300 },
  );
});

test.run();
