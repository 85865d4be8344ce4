/**
 * Lines of evaluations: the evaluations of a specification whose jobs are compared with each other
 * (Hydra's and Cuirass's job weather, a notification's new failures). Each branch matching a channel's
 * pattern is a line of its own, as the poller evaluates each apart: a job failing on `wip-b` is no news
 * because it succeeded on `wip-a`. A specification whose channels each follow one branch is one line.
 */
import type { Checkout } from '../checkout/checkout.ts';
import { type Channel, isPatternChannel } from './specification.ts';

/** The branch an evaluation checked out of each pattern channel, by channel name. */
export type LineBranches = Readonly<Record<string, string>>;

/** The line of an evaluation of a specification with `channels`, from the evaluation's checkouts. */
export function lineBranchesOf(channels: readonly Channel[], checkouts: readonly Checkout[]): LineBranches {
  return Object.fromEntries(
    channels.filter(isPatternChannel).flatMap(({ name }) => {
      const checkout = checkouts.find((each) => each.channel === name);
      return checkout ? [[name, checkout.branch]] : [];
    }),
  );
}

/**
 * A line's id: `channel:branch` for each pattern channel, separated by spaces (neither a channel's
 * name nor a git branch's holds a space or a colon); `''` for a specification without patterns.
 */
export function lineIdOf(branches: LineBranches): string {
  return Object.entries(branches)
    .map(([channel, branch]) => `${channel}:${branch}`)
    .join(' ');
}

/** The id of an evaluation's line. */
export function lineOf(channels: readonly Channel[], checkouts: readonly Checkout[]): string {
  return lineIdOf(lineBranchesOf(channels, checkouts));
}
