import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type CheckoutEvent,
  checkoutDecider,
  type DetectCheckout,
  headDetectionOf,
} from '../../../domain/checkout/index.ts';
import { fold } from '../../../domain/shared/decider.ts';
import { givenFor } from '../given.ts';

const given = givenFor(checkoutDecider);
const at = '2024-05-01T12:00:00Z';
const base = { spec: 'guix', channel: 'guix', at, actor: 'poller' } as const;
const commit = 'a'.repeat(40);
const detect: DetectCheckout = {
  ...base,
  type: 'DetectCheckout',
  url: 'https://git.savannah.gnu.org/git/guix.git',
  branch: 'master',
  commit,
  commitTime: '2024-05-01T11:00:00Z',
};
const detected: CheckoutEvent = {
  type: 'CheckoutDetected',
  data: {
    spec: 'guix',
    channel: 'guix',
    url: detect.url,
    branch: 'master',
    commit,
    commitTime: detect.commitTime,
    detectedAt: at,
  },
};
const failed: CheckoutEvent = {
  type: 'PollFailed',
  data: { spec: 'guix', channel: 'guix', reason: 'timed-out', message: 'fatal: timeout' },
};

const checkouts = suite('checkouts');

checkouts('records a new commit once; the same commit again decides nothing', () => {
  given([]).when(detect).then([detected]);
  given([detected]).when(detect).thenNothing();
  const next = { ...detect, commit: 'b'.repeat(64) };
  given([detected])
    .when(next)
    .then([{ type: 'CheckoutDetected', data: { ...detected.data, commit: next.commit } } as CheckoutEvent]);
});

checkouts('numbers the detection that made each head: a branch set back has a new one', () => {
  const on = (branch: string, commit: string) =>
    ({ type: 'CheckoutDetected', data: { ...detected.data, branch, commit } }) as CheckoutEvent;
  const state = fold(checkoutDecider, [
    on('master', commit),
    on('wip', commit),
    on('master', 'b'.repeat(40)),
  ]);
  assert.is(headDetectionOf(state, 'guix', 'master'), 3);
  assert.is(headDetectionOf(state, 'guix', 'wip'), 2);
  const back = checkoutDecider.evolve(state, on('master', commit));
  assert.is(headDetectionOf(back, 'guix', 'master'), 4, 'the first commit again, detected anew');
  const gone = checkoutDecider.evolve(back, {
    type: 'BranchDeleted',
    data: { spec: 'guix', channel: 'guix', branch: 'wip' },
  });
  assert.is(headDetectionOf(gone, 'guix', 'wip'), undefined);
  assert.is(headDetectionOf(gone, 'guix', 'master'), 4);
});

checkouts('tells branches apart: a known commit on another branch is new there', () => {
  given([detected])
    .when({ ...detect, branch: 'wip-rust' })
    .then([{ type: 'CheckoutDetected', data: { ...detected.data, branch: 'wip-rust' } } as CheckoutEvent]);
});

checkouts('records a patch series on a known commit once', () => {
  const patchSeries = {
    id: 'issue-70123',
    title: 'gnu: hello: Update to 2.13.',
    patches: [
      { subject: '[PATCH] gnu: hello: Update to 2.13.', author: 'A <a@example.org>', ref: 'sha256:x' },
    ],
  };
  const withSeries = { type: 'CheckoutDetected', data: { ...detected.data, patchSeries } } as CheckoutEvent;
  given([detected])
    .when({ ...detect, patchSeries })
    .then([withSeries]);
  given([detected, withSeries])
    .when({ ...detect, patchSeries })
    .thenNothing();
  // Ids and branch names that are also inherited members are remembered like any other.
  for (const id of ['__proto__', 'constructor']) {
    const odd = { ...patchSeries, id };
    const recorded = {
      type: 'CheckoutDetected',
      data: { ...detected.data, patchSeries: odd },
    } as CheckoutEvent;
    given([detected])
      .when({ ...detect, patchSeries: odd })
      .then([recorded]);
    given([detected, recorded])
      .when({ ...detect, patchSeries: odd })
      .thenNothing();
  }
  given([detected])
    .when({ ...detect, type: 'DeleteBranch', branch: 'toString' } as never)
    .thenNothing();
});

checkouts('refuses bad commits and checkouts of another specification', () => {
  given([])
    .when({ ...detect, commit: 'HEAD' })
    .thenThrows('TALLY_CHECKOUT_INVALID');
  given([])
    .when({ ...detect, commitTime: 'yesterday' })
    .thenThrows('TALLY_CHECKOUT_INVALID');
  given([detected])
    .when({ ...detect, spec: 'other' })
    .thenThrows('TALLY_CHECKOUT_INVALID');
});

checkouts('deletes only branches it knows', () => {
  const deleted = {
    type: 'BranchDeleted',
    data: { spec: 'guix', channel: 'guix', branch: 'master' },
  } as const;
  given([detected])
    .when({ ...base, type: 'DeleteBranch', branch: 'master' })
    .then([deleted]);
  given([detected, deleted])
    .when({ ...base, type: 'DeleteBranch', branch: 'master' })
    .thenNothing();
  given([detected, deleted]).when(detect).then([detected]);
});

const polls = suite('poll failures');

polls('are recorded once while they repeat, again when they change', () => {
  const failure = {
    ...base,
    type: 'RecordPollFailure',
    reason: 'timed-out',
    message: 'fatal: timeout',
  } as const;
  given([]).when(failure).then([failed]);
  given([failed]).when(failure).thenNothing();
  given([failed])
    .when({ ...failure, reason: 'auth-failed', message: 'denied' })
    .then([
      {
        type: 'PollFailed',
        data: { ...failed.data, reason: 'auth-failed', message: 'denied' },
      } as CheckoutEvent,
    ]);
});

polls('end with a recovery or a new checkout', () => {
  const recovered = { type: 'PollRecovered', data: { spec: 'guix', channel: 'guix' } } as const;
  given([failed])
    .when({ ...base, type: 'RecordPollSuccess' })
    .then([recovered]);
  given([failed, recovered])
    .when({ ...base, type: 'RecordPollSuccess' })
    .thenNothing();
  given([])
    .when({ ...base, type: 'RecordPollSuccess' })
    .thenNothing();
  const state = given([failed, detected]).state;
  assert.equal(state.status === 'watching' ? state.failing : undefined, {});
});

checkouts.run();
polls.run();
