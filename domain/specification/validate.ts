/**
 * Validation of untrusted specification input (an HTTP body, a file): every problem is reported with
 * its field path, and optional fields get the defaults a farm operator would expect.
 */
import {
  array,
  boolean,
  type Checked,
  defaulted,
  type Issue,
  integer,
  isPlainObject,
  literal,
  object,
  optional,
  refine,
  type Schema,
  string,
} from '../shared/schema.ts';
import type {
  BranchChannel,
  BuildLimits,
  Channel,
  Evaluator,
  PatternChannel,
  Specification,
  WebhookTarget,
} from './specification.ts';

/** Names of specifications and channels. */
export const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Defaults for the fields a specification may leave out. */
export const specificationDefaults = {
  priority: 0,
  pollingPeriodSeconds: 300,
  buildLimits: { timeoutSeconds: 36_000, maxSilentSeconds: 3_600, maxLogBytes: 64 * 1024 * 1024 },
  retries: 0,
  keepEvaluations: 3,
  active: true,
} as const;

const gitUrl = /^(https?|ssh|git|file):\/\/\S+$|^[\w.-]+@[\w.-]+:\S+$|^\/\S*$/;
// A git branch name (git check-ref-format, simplified): no spaces, control characters, `..`, `~^:?*[\`,
// no leading `-` or `/`, no trailing `/`, `.` or `.lock`.
const refChars = /^(?!-|\/)(?!.*(\.\.|\/\/|@\{|\/$|\.$|\.lock$))[^\s~^:?*[\\\p{Cc}]+$/u;
const patternChars = /^(?!-|\/)(?!.*(\.\.|\/\/|@\{|\/$|\.$))[^\s~^:?[\\\p{Cc}]+$/u;

const name = string({ pattern: namePattern });
const url: Schema<string> = refine(string({ minLength: 1, maxLength: 2048 }), (value) =>
  gitUrl.test(value)
    ? undefined
    : 'must be a git URL (https://, ssh://, git://, file://, user@host:path or /path)',
);
const branch = refine(string({ minLength: 1, maxLength: 255 }), (value) =>
  refChars.test(value) ? undefined : 'is not a valid git branch name',
);
const branchPattern = refine(string({ minLength: 1, maxLength: 255 }), (value) =>
  patternChars.test(value) && value.includes('*')
    ? undefined
    : 'must be a branch glob containing *, e.g. wip-*',
);

const branchChannel = object<BranchChannel>({ name, url, branch }, { strict: true });
const patternChannel = object<PatternChannel>({ name, url, branchPattern }, { strict: true });
const channel: Schema<Channel> = (value, path) => {
  if (isPlainObject(value) && 'branchPattern' in value) {
    if ('branch' in value)
      return { ok: false, issues: [{ path, message: 'give either branch or branchPattern, not both' }] };
    return patternChannel(value, path);
  }
  return branchChannel(value, path);
};

const evaluator: Schema<Evaluator> = refine(
  object<Evaluator>(
    { kind: literal('native', 'nix', 'guix'), entry: string({ minLength: 1, maxLength: 1024 }) },
    { strict: true },
  ),
  ({ kind, entry }) =>
    kind !== 'guix' && (entry.startsWith('/') || entry.split('/').includes('..'))
      ? 'entry must be a path inside the channel (relative, without ..)'
      : undefined,
);

const system = string({ pattern: /^[a-z0-9_]+-[a-z0-9_]+$/, maxLength: 64 });
const buildSeconds = integer({ min: 1 });
const limits = object<BuildLimits>(
  {
    timeoutSeconds: defaulted(buildSeconds, specificationDefaults.buildLimits.timeoutSeconds),
    maxSilentSeconds: defaulted(buildSeconds, specificationDefaults.buildLimits.maxSilentSeconds),
    maxLogBytes: defaulted(integer({ min: 1024 }), specificationDefaults.buildLimits.maxLogBytes),
  },
  { strict: true },
);
const pollingPeriod = refine(integer({ min: 0, max: 7 * 24 * 3600 }), (value) =>
  value === 0 || value >= 10 ? undefined : 'must be 0 (never poll) or at least 10',
);

/** True when `value` is an http(s) URL as fetch reads it (a port in range, a host that parses). */
function isHttpUrl(value: string): boolean {
  if (!/^https?:\/\/[^\s/?#]+(?:[/?#]\S*)?$/.test(value)) return false;
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

const webhookUrl = refine(string({ minLength: 1, maxLength: 2048 }), (value) =>
  isHttpUrl(value) ? undefined : 'must be an http:// or https:// URL',
);
const webhook = object<WebhookTarget>({ kind: literal('webhook'), url: webhookUrl }, { strict: true });

const shape = object<Specification>(
  {
    name,
    channels: array(channel, { minLength: 1 }),
    evaluator,
    systems: array(system, { minLength: 1 }),
    priority: defaulted(integer({ min: -1000, max: 1000 }), specificationDefaults.priority),
    pollingPeriodSeconds: defaulted(pollingPeriod, specificationDefaults.pollingPeriodSeconds),
    buildLimits: defaulted(limits, specificationDefaults.buildLimits),
    retries: defaulted(integer({ min: 0, max: 10 }), specificationDefaults.retries),
    keepEvaluations: defaulted(integer({ min: 1, max: 1000 }), specificationDefaults.keepEvaluations),
    active: defaulted(boolean, specificationDefaults.active),
    notifications: optional(array(webhook)),
  },
  { strict: true },
);

/** Rules across fields, checked once every field is well-formed. */
function crossFieldIssues(spec: Specification): Issue[] {
  const issues: Issue[] = [];
  const seen = new Set<string>();
  spec.channels.forEach((entry, index) => {
    if (seen.has(entry.name))
      issues.push({ path: `channels[${index}].name`, message: 'is used by another channel' });
    seen.add(entry.name);
  });
  const systems = new Set<string>();
  spec.systems.forEach((entry, index) => {
    if (systems.has(entry)) issues.push({ path: `systems[${index}]`, message: 'is listed twice' });
    systems.add(entry);
  });
  if (spec.buildLimits.maxSilentSeconds > spec.buildLimits.timeoutSeconds)
    issues.push({ path: 'buildLimits.maxSilentSeconds', message: 'must not exceed timeoutSeconds' });
  return issues;
}

/** At most this many channels: each is fetched at every poll. */
export const maxChannels = 64;
/** At most this many systems: more than Nix and Guix know. */
export const maxSystems = 32;
/** At most this many notification targets: each is sent every evaluation's report. */
export const maxNotifications = 8;
/**
 * The longest a build may run, or stay silent: two weeks, far beyond any real build. Timers hold at
 * most 2^31 − 1 ms (24.8 days), and a longer delay fires at once: every build would fail as it started.
 */
export const longestBuildSeconds = 14 * 24 * 3600;

/** The password in `url`'s user part, or its user part altogether for HTTP, where a user is often a token. */
function secretIn(url: string): string | undefined {
  const match = /^(https?|ssh|git):\/\/([^/@]*)@/.exec(url);
  if (!match) return undefined;
  const [, scheme, userinfo] = match as unknown as [string, string, string];
  if (userinfo.includes(':')) return 'a password';
  return scheme.startsWith('http') ? 'a user name (often a token)' : undefined;
}

/**
 * What a new specification may not ask for, beyond its shape. Specifications already recorded are read
 * without these rules (`readSpecification`), so a farm keeps every specification it registered before.
 */
function admissionIssues(spec: Specification): Issue[] {
  const issues: Issue[] = [];
  if (spec.channels.length > maxChannels)
    issues.push({
      path: 'channels',
      message: `has ${spec.channels.length} channels; at most ${maxChannels}`,
    });
  if (spec.systems.length > maxSystems)
    issues.push({ path: 'systems', message: `has ${spec.systems.length} systems; at most ${maxSystems}` });
  spec.channels.forEach((entry, index) => {
    const secret = secretIn(entry.url);
    if (secret)
      issues.push({
        path: `channels[${index}].url`,
        message: `carries ${secret}, which events and public reads would show: put the credentials in the data directory's git-credentials file instead`,
      });
  });
  const notifications = spec.notifications ?? [];
  if (notifications.length > maxNotifications)
    issues.push({
      path: 'notifications',
      message: `has ${notifications.length} targets; at most ${maxNotifications}`,
    });
  notifications.forEach((target, index) => {
    if (/^https?:\/\/[^/?#]*@/.test(target.url))
      issues.push({
        path: `notifications[${index}].url`,
        message:
          'carries credentials, which events and public reads would show: receivers authenticate the farm by the X-Tally-Signature header instead',
      });
  });
  for (const limit of ['timeoutSeconds', 'maxSilentSeconds'] as const)
    if (spec.buildLimits[limit] > longestBuildSeconds)
      issues.push({
        path: `buildLimits.${limit}`,
        message: `is ${spec.buildLimits[limit]} s; at most ${longestBuildSeconds} (14 days)`,
      });
  if (/\p{Cc}/u.test(spec.evaluator.entry))
    issues.push({ path: 'evaluator.entry', message: 'must not contain control characters' });
  return issues;
}

/** The specification `input` describes, with defaults filled in, or every problem with its field path. */
export function validateSpecification(input: unknown): Checked<Specification> {
  const checked = readSpecification(input);
  if (!checked.ok) return checked;
  const issues = admissionIssues(checked.value);
  return issues.length === 0 ? checked : { ok: false, issues };
}

/** A specification as an event recorded it: its shape and cross-field rules, not the admission limits. */
export function readSpecification(input: unknown): Checked<Specification> {
  const checked = shape(input, '');
  if (!checked.ok) return checked;
  const issues = crossFieldIssues(checked.value);
  return issues.length === 0 ? checked : { ok: false, issues };
}
