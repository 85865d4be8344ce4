/**
 * A specification (jobset): what to build and how often to look for new commits. The types here are
 * what events carry; `validate.ts` turns untrusted input into one.
 */

/** A channel that follows one branch. */
export interface BranchChannel {
  /** Unique within the specification; names the checkout in evaluations (`guix`, `nixpkgs`). */
  readonly name: string;
  /** A git URL: `https://…`, `ssh://…`, `git://…`, `file://…`, `user@host:path` or an absolute path. */
  readonly url: string;
  readonly branch: string;
}

/** A channel that follows every branch whose name matches a glob (`wip-*`), one evaluation each. */
export interface PatternChannel {
  readonly name: string;
  readonly url: string;
  /** A glob over branch names where `*` matches any run of characters except `/`. */
  readonly branchPattern: string;
}

/** One git source of a specification. */
export type Channel = BranchChannel | PatternChannel;

/** How the jobs are computed from the checkouts. */
export interface Evaluator {
  /** `native`: a jobset file evaluated by Tally itself; `nix`/`guix`: the tool of that name. */
  readonly kind: 'native' | 'nix' | 'guix';
  /** The entry point: a file relative to the first channel (`release.nix`), or a Guix module. */
  readonly entry: string;
}

/** Limits every build of the specification runs under. */
export interface BuildLimits {
  /** Wall-clock limit of one attempt. */
  readonly timeoutSeconds: number;
  /** A build that prints nothing for this long is killed. */
  readonly maxSilentSeconds: number;
  /** The log is cut (and the build failed) past this size. */
  readonly maxLogBytes: number;
}

/**
 * Where the farm reports an evaluation's end: a webhook is POSTed a JSON report signed with the farm's
 * key. The URL is shown by public reads and kept in events like every other field, so it must not carry
 * a secret: receivers authenticate the farm by the signature.
 */
export interface WebhookTarget {
  readonly kind: 'webhook';
  /** `http://` or `https://`, without a user or password. */
  readonly url: string;
}

/** A specification as recorded in events. */
export interface Specification {
  /** `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`; also the id of its stream. */
  readonly name: string;
  /** At least one; the first holds the evaluator's entry. */
  readonly channels: readonly Channel[];
  readonly evaluator: Evaluator;
  /** Systems to evaluate and build for (`x86_64-linux`), at least one. */
  readonly systems: readonly string[];
  /** Higher runs first; builds wanted by several specifications take the highest. */
  readonly priority: number;
  /** Seconds between polls of the channels; 0 means never poll (webhooks and manual runs only). */
  readonly pollingPeriodSeconds: number;
  readonly buildLimits: BuildLimits;
  /** How many times a build that failed for a transient reason is tried again. */
  readonly retries: number;
  /** How many of the latest evaluations keep their outputs from garbage collection. */
  readonly keepEvaluations: number;
  /** Whether the poller and the scheduler act on it. */
  readonly active: boolean;
  /** Told when each evaluation has ended: failed, or every job's build finished. None when absent. */
  readonly notifications?: readonly WebhookTarget[];
}

/** The top-level fields of a specification, as named in `SpecificationUpdated.changed`. */
export type SpecificationField = keyof Specification;

/** True when the channel follows a branch pattern rather than one branch. */
export function isPatternChannel(channel: Channel): channel is PatternChannel {
  return 'branchPattern' in channel;
}

/**
 * The top-level fields that differ between two specifications, in `after`'s order, then those only
 * `before` has: an optional field left out of an update is a change too.
 */
export function changedFields(before: Specification, after: Specification): readonly SpecificationField[] {
  const fields = [...new Set([...Object.keys(after), ...Object.keys(before)])] as SpecificationField[];
  return fields.filter((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]));
}

/** True when a branch name matches a channel's glob; `*` never crosses a `/`. */
export function matchesBranchPattern(pattern: string, branch: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]*');
  return new RegExp(`^${source}$`).test(branch);
}
