/**
 * Decisions of a checkout stream: facts from git become events once, however often they are seen.
 */
import { DomainError } from '../shared/errors.ts';
import { own } from '../shared/own.ts';
import { isIsoTime } from '../shared/time.ts';
import { unreachable } from '../shared/unreachable.ts';
import { isCommitHash } from './checkout.ts';
import type {
  CheckoutCommand,
  DeleteBranch,
  DetectCheckout,
  RecordPollFailure,
  RecordPollSuccess,
} from './commands.ts';
import type { CheckoutEvent } from './events.ts';
import { type CheckoutState, headOf } from './state.ts';

function checkSpec(command: CheckoutCommand, state: CheckoutState): void {
  if (state.status === 'watching' && state.spec !== command.spec)
    throw new DomainError(
      'TALLY_CHECKOUT_INVALID',
      `A checkout of ${JSON.stringify(command.spec)} was sent to the stream of ${JSON.stringify(state.spec)}`,
    );
}

function detect(command: DetectCheckout, state: CheckoutState): CheckoutEvent[] {
  const { spec, channel, url, branch, commit, commitTime, patchSeries, at } = command;
  if (!isCommitHash(commit) || !isIsoTime(commitTime))
    throw new DomainError(
      'TALLY_CHECKOUT_INVALID',
      `Commit ${JSON.stringify(commit)} at ${commitTime} is not valid`,
    );
  if (state.status === 'watching') {
    const known = patchSeries ? own(state.patchSeries, patchSeries.id) : headOf(state, channel, branch);
    if (known === commit) return [];
  }
  const series = patchSeries ? { patchSeries } : {};
  return [
    {
      type: 'CheckoutDetected',
      data: { spec, channel, url, branch, commit, commitTime, detectedAt: at, ...series },
    },
  ];
}

function deleteBranch(command: DeleteBranch, state: CheckoutState): CheckoutEvent[] {
  const { spec, channel, branch } = command;
  if (headOf(state, channel, branch) === undefined) return [];
  return [{ type: 'BranchDeleted', data: { spec, channel, branch } }];
}

function failPoll(command: RecordPollFailure, state: CheckoutState): CheckoutEvent[] {
  const { spec, channel, reason, message } = command;
  const current = state.status === 'watching' ? own(state.failing, channel) : undefined;
  if (current?.reason === reason && current.message === message) return [];
  return [{ type: 'PollFailed', data: { spec, channel, reason, message } }];
}

function recoverPoll(command: RecordPollSuccess, state: CheckoutState): CheckoutEvent[] {
  if (state.status !== 'watching' || !own(state.failing, command.channel)) return [];
  return [{ type: 'PollRecovered', data: { spec: command.spec, channel: command.channel } }];
}

export function decideCheckout(command: CheckoutCommand, state: CheckoutState): readonly CheckoutEvent[] {
  checkSpec(command, state);
  switch (command.type) {
    case 'DetectCheckout':
      return detect(command, state);
    case 'DeleteBranch':
      return deleteBranch(command, state);
    case 'RecordPollFailure':
      return failPoll(command, state);
    case 'RecordPollSuccess':
      return recoverPoll(command, state);
    default:
      return unreachable(command);
  }
}
