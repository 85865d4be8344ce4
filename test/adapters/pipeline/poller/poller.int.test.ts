/**
 * The poller against real git repositories and a real ledger: new heads recorded once and evaluated,
 * pattern branches evaluated one by one and recorded deleted when they go, failures recorded with
 * git's message while the last good heads stay, polls of one specification coalesced and spaced,
 * and specifications it must not poll refused.
 */
import { randomUUID } from 'node:crypto';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { handleCommand } from '../../../../adapters/eventstore/command-handler.ts';
import type { RecordedEvent } from '../../../../adapters/eventstore/event-store.ts';
import { pollEvaluationId } from '../../../../adapters/pipeline/poller/evaluation-id.ts';
import { type PollOutcome, PollRefused } from '../../../../adapters/pipeline/poller/index.ts';
import type { CheckoutEvent } from '../../../../domain/checkout/events.ts';
import { checkoutDecider } from '../../../../domain/checkout/index.ts';
import { fold } from '../../../../domain/shared/decider.ts';
import { streams } from '../../../../domain/shared/streams.ts';
import { specificationDecider } from '../../../../domain/specification/index.ts';
import type { Specification } from '../../../../domain/specification/specification.ts';
import { rejects, tempDir, withTimeout } from '../../../helpers/uvu.ts';
import { branchWith, commit, commitTimeIso, git, makeRepo } from '../../git/git-fixture.ts';
import {
  checkoutEvents,
  dataOf,
  evaluationsRequested,
  type PollerLedger,
  pollerFor,
  specification,
  startPollerLedger,
  typesOf,
  watchFor,
} from './poller-fixture.ts';

interface Context {
  ledger: PollerLedger;
  dir: string;
  cleanup: () => Promise<void>;
}

const test = suite<Context>('the poller');

test.before(async (context) => {
  context.ledger = await startPollerLedger();
});
test.after(async (context) => {
  await context.ledger.stop();
});
test.before.each(async (context) => {
  const dir = await tempDir('tally-poller-');
  context.dir = dir.path;
  context.cleanup = dir.cleanup;
});
test.after.each(async (context) => {
  await context.cleanup();
});

test(
  'records a new head once and requests one evaluation for it, and another for a new commit',
  withTimeout(60_000, async ({ ledger: { store }, dir }) => {
    const repo = makeRepo(join(dir, 'repo'));
    const spec = specification('single', [{ name: 'src', url: repo, branch: 'main' }]);
    const poller = pollerFor(store, join(dir, 'data'), () => [spec]);

    const first = await poller.pollNow('single');
    const head = git(repo, 'rev-parse', 'HEAD');
    const checkout = { channel: 'src', url: repo, branch: 'main', commit: head, commitTime: commitTimeIso };
    assert.equal(first.detected, ['src/main']);
    assert.equal(first.failed, []);
    assert.equal(first.evaluations, [pollEvaluationId('single', [checkout])]);
    const detected = await checkoutEvents(store, 'single');
    assert.equal(typesOf(detected), ['CheckoutDetected']);
    assert.equal(
      { ...dataOf(detected[0]), detectedAt: undefined },
      {
        spec: 'single',
        ...checkout,
        detectedAt: undefined,
      },
    );
    const [requested, ...others] = await evaluationsRequested(store, 'single');
    assert.is(others.length, 0);
    assert.equal(dataOf(requested), {
      evaluationId: first.evaluations[0],
      spec: 'single',
      trigger: { kind: 'poll' },
      checkouts: [checkout],
      detection: 1,
    });

    const unchanged = await poller.pollNow('single');
    assert.equal(unchanged, { spec: 'single', detected: [], deleted: [], failed: [], evaluations: [] });
    assert.is((await checkoutEvents(store, 'single')).length, 1, 'nothing new recorded');

    const newer = commit(repo, { 'README.md': 'second\n' });
    const second = await poller.pollNow('single', { kind: 'manual', by: 'user:alice' });
    assert.equal(second.detected, ['src/main']);
    assert.is(second.evaluations.length, 1);
    assert.is.not(second.evaluations[0], first.evaluations[0]);
    const all = await evaluationsRequested(store, 'single');
    assert.is(all.length, 2);
    assert.equal(dataOf(all[1]).trigger, { kind: 'manual', by: 'user:alice' });
    // Whoever asked for a poll by hand is the actor of what it records; a scheduled poll is the poller's.
    assert.is(all[0]?.metadata.actor, 'poller');
    assert.is(all[1]?.metadata.actor, 'user:alice');
    assert.is((await checkoutEvents(store, 'single'))[1]?.metadata.actor, 'user:alice');
    assert.is((dataOf(all[1]).checkouts as Array<{ commit: string }>)[0]?.commit, newer);
    await poller.stop();
  }),
);

test(
  'evaluates again a branch set back to a commit evaluated before, once however often it is polled',
  withTimeout(60_000, async ({ ledger: { store }, dir }) => {
    const repo = makeRepo(join(dir, 'repo'));
    const spec = specification('back', [{ name: 'src', url: repo, branch: 'main' }]);
    const poller = pollerFor(store, join(dir, 'data'), () => [spec]);
    const first = git(repo, 'rev-parse', 'HEAD');
    const checkout = { channel: 'src', url: repo, branch: 'main', commit: first, commitTime: commitTimeIso };
    const [original] = (await poller.pollNow('back')).evaluations;
    assert.equal(original, pollEvaluationId('back', [checkout]));
    commit(repo, { 'README.md': 'second\n' });
    assert.is((await poller.pollNow('back')).evaluations.length, 1);

    // The second commit is undone by a force-push: the branch is back on the first.
    git(repo, 'reset', '--hard', first);
    const setBack = await poller.pollNow('back');
    assert.equal(setBack.detected, ['src/main']);
    assert.equal(setBack.evaluations, [pollEvaluationId('back', [checkout], 1, 3)]);
    assert.is.not(setBack.evaluations[0], original);
    assert.equal((await poller.pollNow('back')).evaluations, [], 'asked once');

    const requested = await evaluationsRequested(store, 'back');
    assert.equal(
      requested.map((event) => [dataOf(event).evaluationId, dataOf(event).detection]),
      [
        [original, 1],
        [requested[1] && dataOf(requested[1]).evaluationId, 2],
        [setBack.evaluations[0], 3],
      ],
    );
    assert.equal(dataOf(requested[2]).checkouts, [checkout]);
    await poller.stop();
  }),
);

test(
  'asks for the evaluation a recorded head never got, and evaluates a name registered again anew',
  withTimeout(60_000, async ({ ledger: { store }, dir }) => {
    const repo = makeRepo(join(dir, 'repo'));
    const spec = specification('again', [{ name: 'src', url: repo, branch: 'main' }]);
    const poller = pollerFor(store, join(dir, 'data'), () => [spec]);
    const head = git(repo, 'rev-parse', 'HEAD');
    const checkout = { channel: 'src', url: repo, branch: 'main', commit: head, commitTime: commitTimeIso };
    const send = async (type: 'Register' | 'Remove') => {
      const at = new Date().toISOString();
      const command =
        type === 'Register'
          ? ({ type: 'RegisterSpecification', spec, actor: 'user:test', at } as const)
          : ({ type: 'RemoveSpecification', name: 'again', actor: 'user:test', at } as const);
      const cause = { kind: 'command', id: randomUUID() } as const;
      await handleCommand(store, specificationDecider, streams.spec('again'), command, {
        cause,
        actor: 'user:test',
        at,
      });
    };
    await send('Register');

    // The head was recorded by a poll that stopped before asking for its evaluation.
    await handleCommand(
      store,
      checkoutDecider,
      streams.checkout('again'),
      { type: 'DetectCheckout', spec: 'again', ...checkout, actor: 'poller', at: new Date().toISOString() },
      { cause: { kind: 'command', id: randomUUID() }, actor: 'poller', at: new Date().toISOString() },
    );
    const resumed = await poller.pollNow('again');
    assert.equal(resumed.detected, [], 'the head was known already');
    assert.equal(resumed.evaluations, [pollEvaluationId('again', [checkout])]);
    assert.equal(
      (await poller.pollNow('again')).evaluations,
      [],
      'requested once: later polls find it recorded',
    );

    // Removed and registered again: the same commit is evaluated for the new specification, once.
    await send('Remove');
    await send('Register');
    const anew = await poller.pollNow('again');
    assert.equal(anew.evaluations, [pollEvaluationId('again', [checkout], 2)]);
    assert.is.not(anew.evaluations[0], resumed.evaluations[0]);
    assert.equal((await poller.pollNow('again')).evaluations, []);
    assert.is((await evaluationsRequested(store, 'again')).length, 2);
    assert.is((await checkoutEvents(store, 'again')).filter((e) => e.type === 'CheckoutDetected').length, 1);
    await poller.stop();
  }),
);

test(
  'stops between channels when the poller is stopped, recording no evaluation for a poll cut short',
  withTimeout(60_000, async ({ ledger: { store }, dir }) => {
    const repo = makeRepo(join(dir, 'repo'));
    const channels = Array.from({ length: 40 }, (_, i) => ({ name: `c${i}`, url: repo, branch: 'main' }));
    const spec = specification('wide', channels);
    const poller = pollerFor(store, join(dir, 'data'), () => [spec]);
    const first = await watchFor(store, (event) => event.type === 'CheckoutDetected');
    const polling = poller.pollNow('wide');
    await first.event;
    await poller.stop();
    const outcome = await polling;
    const detected = (await checkoutEvents(store, 'wide')).filter((e) => e.type === 'CheckoutDetected');
    assert.ok(detected.length < channels.length, `${detected.length} of ${channels.length} channels polled`);
    assert.equal(outcome.evaluations, []);
    assert.equal(await evaluationsRequested(store, 'wide'), []);
  }),
);

test(
  'evaluates every branch matching a pattern on its own, ignores the others, and records a deleted one',
  withTimeout(60_000, async ({ ledger: { store }, dir }) => {
    const repo = makeRepo(join(dir, 'repo'));
    const a = branchWith(repo, 'wip-a', { 'a.txt': 'a\n' });
    const b = branchWith(repo, 'wip-b', { 'b.txt': 'b\n' });
    branchWith(repo, 'feature', { 'f.txt': 'f\n' });
    branchWith(repo, 'wip-c/nested', { 'c.txt': 'c\n' });
    const spec = specification('pattern', [{ name: 'wip', url: repo, branchPattern: 'wip-*' }]);
    const poller = pollerFor(store, join(dir, 'data'), () => [spec]);

    const first = await poller.pollNow('pattern');
    assert.equal([...first.detected].sort(), ['wip/wip-a', 'wip/wip-b']);
    assert.is(first.evaluations.length, 2);
    const requested = await evaluationsRequested(store, 'pattern');
    const evaluated = requested
      .map((event) =>
        (dataOf(event).checkouts as Array<{ branch: string; commit: string }>).map((c) => [
          c.branch,
          c.commit,
        ]),
      )
      .sort();
    assert.equal(evaluated, [[['wip-a', a]], [['wip-b', b]]]);

    git(repo, 'branch', '--quiet', '-D', 'wip-a');
    const second = await poller.pollNow('pattern');
    assert.equal(second.deleted, ['wip/wip-a']);
    assert.equal(second.detected, []);
    assert.equal(second.evaluations, []);
    const events = await checkoutEvents(store, 'pattern');
    assert.equal(typesOf(events), ['CheckoutDetected', 'CheckoutDetected', 'BranchDeleted']);
    assert.equal(dataOf(events[2]), { spec: 'pattern', channel: 'wip', branch: 'wip-a' });

    const again = await poller.pollNow('pattern');
    assert.equal(again.deleted, [], 'a deletion is recorded once');
    await poller.stop();
  }),
);

test(
  "records a broken remote with git's message, keeps the last heads, and records the recovery",
  withTimeout(60_000, async ({ ledger: { store }, dir }) => {
    const repo = makeRepo(join(dir, 'repo'));
    const away = join(dir, 'moved-away');
    const spec = specification('broken', [{ name: 'src', url: repo, branch: 'main' }]);
    const poller = pollerFor(store, join(dir, 'data'), () => [spec]);
    await poller.pollNow('broken');
    const head = git(repo, 'rev-parse', 'HEAD');

    renameSync(repo, away);
    const failing = await poller.pollNow('broken');
    assert.is(failing.failed.length, 1);
    assert.is(failing.failed[0]?.reason, 'not-found');
    assert.match(
      failing.failed[0]?.message ?? '',
      new RegExp(`'${repo}' does not appear to be a git repository`),
    );
    assert.equal(failing.evaluations, []);
    const afterFailure = await checkoutEvents(store, 'broken');
    assert.equal(typesOf(afterFailure), ['CheckoutDetected', 'PollFailed']);
    assert.equal(dataOf(afterFailure[1]), {
      spec: 'broken',
      channel: 'src',
      reason: 'not-found',
      message: failing.failed[0]?.message,
    });
    const state = fold(
      checkoutDecider,
      afterFailure.map((event) => ({ type: event.type, data: event.data }) as CheckoutEvent),
    );
    assert.ok(state.status === 'watching');
    assert.equal(state.heads, { src: { main: head } }, 'the last good head is kept');

    await poller.pollNow('broken');
    assert.is((await checkoutEvents(store, 'broken')).length, 2, 'the same failure is recorded once');

    renameSync(away, repo);
    const recovered = await poller.pollNow('broken');
    assert.equal(recovered.failed, []);
    assert.equal(recovered.detected, [], 'the head did not change while the remote was broken');
    assert.equal(recovered.evaluations, []);
    assert.equal(typesOf(await checkoutEvents(store, 'broken')), [
      'CheckoutDetected',
      'PollFailed',
      'PollRecovered',
    ]);
    await poller.stop();
  }),
);

test(
  'evaluates each pattern branch with the followed branches, taking the last commit of one that cannot be read',
  withTimeout(60_000, async ({ ledger: { store }, dir }) => {
    const lib = makeRepo(join(dir, 'lib'));
    const wip = makeRepo(join(dir, 'wip'));
    const a = branchWith(wip, 'wip-a', { 'a.txt': 'a\n' });
    const libHead = git(lib, 'rev-parse', 'HEAD');
    const spec = specification('mixed', [
      { name: 'lib', url: lib, branch: 'main' },
      { name: 'wip', url: wip, branchPattern: 'wip-*' },
    ]);
    const poller = pollerFor(store, join(dir, 'data'), () => [spec]);
    const commitsOf = (event: RecordedEvent | undefined) =>
      (dataOf(event).checkouts as Array<{ channel: string; branch: string; commit: string }>)
        .map((c) => `${c.channel}/${c.branch}@${c.commit}`)
        .sort();

    const first = await poller.pollNow('mixed');
    assert.is(first.evaluations.length, 1, 'main of the wip repository does not match');
    assert.equal(commitsOf((await evaluationsRequested(store, 'mixed'))[0]), [
      `lib/main@${libHead}`,
      `wip/wip-a@${a}`,
    ]);

    renameSync(lib, join(dir, 'lib-away'));
    const b = branchWith(wip, 'wip-b', { 'b.txt': 'b\n' });
    const broken = await poller.pollNow('mixed');
    assert.equal(
      broken.failed.map((f) => f.channel),
      ['lib'],
    );
    assert.is(broken.evaluations.length, 1);
    assert.equal(commitsOf((await evaluationsRequested(store, 'mixed'))[1]), [
      `lib/main@${libHead}`,
      `wip/wip-b@${b}`,
    ]);

    renameSync(join(dir, 'lib-away'), lib);
    const newer = commit(lib, { 'lib.txt': 'newer\n' });
    const recovered = await poller.pollNow('mixed');
    assert.equal(recovered.detected, ['lib/main']);
    assert.is(recovered.evaluations.length, 2, 'a new lib commit evaluates every wip branch');
    const latest = (await evaluationsRequested(store, 'mixed')).slice(2).map(commitsOf).sort();
    assert.equal(latest, [
      [`lib/main@${newer}`, `wip/wip-a@${a}`],
      [`lib/main@${newer}`, `wip/wip-b@${b}`],
    ]);
    await poller.stop();
  }),
);

test(
  'a new commit on one followed branch is evaluated with the last commit of another that cannot be read',
  withTimeout(60_000, async ({ ledger: { store }, dir }) => {
    const one = makeRepo(join(dir, 'one'), { 'one.txt': '1\n' });
    const two = makeRepo(join(dir, 'two'), { 'two.txt': '2\n' });
    const twoHead = git(two, 'rev-parse', 'HEAD');
    const spec = specification('pair', [
      { name: 'one', url: one, branch: 'main' },
      { name: 'two', url: two, branch: 'main' },
    ]);
    const poller = pollerFor(store, join(dir, 'data'), () => [spec]);
    assert.is((await poller.pollNow('pair')).evaluations.length, 1);
    renameSync(two, join(dir, 'two-away'));
    const newer = commit(one, { 'one.txt': 'newer\n' });
    const outcome = await poller.pollNow('pair');
    assert.equal(
      outcome.failed.map((f) => f.channel),
      ['two'],
    );
    assert.is(outcome.evaluations.length, 1);
    const requested = (await evaluationsRequested(store, 'pair'))[1];
    assert.equal(
      (dataOf(requested).checkouts as Array<{ channel: string; commit: string }>).map((c) => [
        c.channel,
        c.commit,
      ]),
      [
        ['one', newer],
        ['two', twoHead],
      ],
    );
    await poller.stop();
  }),
);

test(
  'requests no evaluation while a followed branch has never been read, then one when it is',
  withTimeout(60_000, async ({ ledger: { store }, dir }) => {
    const one = makeRepo(join(dir, 'one'));
    const missing = join(dir, 'two');
    const spec = specification('late', [
      { name: 'one', url: one, branch: 'main' },
      { name: 'two', url: missing, branch: 'main' },
    ]);
    const poller = pollerFor(store, join(dir, 'data'), () => [spec]);
    const before = await poller.pollNow('late');
    assert.equal(before.detected, ['one/main']);
    assert.equal(before.evaluations, [], 'no evaluation without every channel');
    makeRepo(missing, { 'two.txt': '2\n' });
    const after = await poller.pollNow('late');
    assert.equal(after.detected, ['two/main']);
    assert.is(after.evaluations.length, 1);
    await poller.stop();
  }),
);

test(
  'records a followed branch that does not exist as not-found',
  withTimeout(60_000, async ({ ledger: { store }, dir }) => {
    const repo = makeRepo(join(dir, 'repo'));
    const spec = specification('nobranch', [{ name: 'src', url: repo, branch: 'release' }]);
    const poller = pollerFor(store, join(dir, 'data'), () => [spec]);
    const outcome = await poller.pollNow('nobranch');
    assert.equal(outcome.failed, [
      { channel: 'src', reason: 'not-found', message: `the branch release does not exist in ${repo}` },
    ]);
    assert.equal(outcome.evaluations, []);
    await poller.stop();
  }),
);

test(
  'five polls asked at once run as two, the second one after the interval',
  withTimeout(60_000, async ({ ledger: { store }, dir }) => {
    const repo = makeRepo(join(dir, 'repo'));
    const spec = specification('busy', [{ name: 'src', url: repo, branch: 'main' }]);
    const started: number[] = [];
    const minIntervalMs = 300;
    const poller = pollerFor(
      store,
      join(dir, 'data'),
      () => {
        started.push(Date.now());
        return [spec];
      },
      { minIntervalMs },
    );
    let firstEnded = 0;
    const polls: Promise<PollOutcome>[] = [];
    polls.push(
      poller.pollNow('busy').then((outcome) => {
        firstEnded = Date.now();
        return outcome;
      }),
    );
    for (let i = 0; i < 4; i++) polls.push(poller.pollNow('busy', { kind: 'webhook', by: 'github' }));
    const outcomes = await Promise.all(polls);
    assert.is(started.length, 2, 'two polls ran');
    assert.equal(outcomes[0]?.detected, ['src/main']);
    for (const later of outcomes.slice(2))
      assert.is(later, outcomes[1], 'the waiting callers share one poll');
    assert.equal(outcomes[1]?.detected, []);
    assert.ok(started[1]! >= firstEnded - 5, 'the second poll began after the first ended');
    assert.ok(
      started[1]! - firstEnded >= minIntervalMs - 50,
      `the second poll waited the interval (${started[1]! - firstEnded} ms)`,
    );
    assert.is((await checkoutEvents(store, 'busy')).length, 1);
    await poller.stop();
  }),
);

test(
  'refuses to poll a deactivated specification or one it does not know, recording nothing',
  withTimeout(60_000, async ({ ledger: { store }, dir }) => {
    const repo = makeRepo(join(dir, 'repo'));
    const spec = specification('sleeping', [{ name: 'src', url: repo, branch: 'main' }], { active: false });
    const poller = pollerFor(store, join(dir, 'data'), () => [spec]);
    const inactive = await rejects(poller.pollNow('sleeping'), /sleeping is deactivated: activate it/);
    assert.instance(inactive, PollRefused);
    assert.is((inactive as PollRefused).code, 'TALLY_POLL_INACTIVE_SPEC');
    const unknown = await rejects(poller.pollNow('nobody'), /no specification nobody/);
    assert.is((unknown as PollRefused).code, 'TALLY_POLL_UNKNOWN_SPEC');
    assert.equal(await checkoutEvents(store, 'sleeping'), []);
    await poller.stop();
  }),
);

test(
  'once started, polls the specifications whose period is due and leaves the others',
  withTimeout(60_000, async ({ ledger: { store }, dir }) => {
    const make = (name: string, overrides: Partial<Specification>) =>
      specification(name, [{ name: 'src', url: makeRepo(join(dir, name)), branch: 'main' }], overrides);
    const specs = [
      make('periodic', { pollingPeriodSeconds: 60 }),
      make('manual-only', { pollingPeriodSeconds: 0 }),
      make('inactive', { pollingPeriodSeconds: 60, active: false }),
    ];
    const watch = await watchFor(
      store,
      (event) => event.type === 'EvaluationRequested' && dataOf(event).spec === 'periodic',
    );
    const poller = pollerFor(store, join(dir, 'data'), () => specs);
    poller.start();
    const requested = await watch.event;
    assert.equal(dataOf(requested).trigger, { kind: 'poll' });
    await poller.stop();
    assert.equal(await checkoutEvents(store, 'manual-only'), []);
    assert.equal(await checkoutEvents(store, 'inactive'), []);
  }),
);

test.run();
