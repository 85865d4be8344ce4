/**
 * The poller: keeps a bare mirror per channel, fetches it with the real `git`, and records what it
 * finds — a new head on a followed branch, a branch matching a channel's pattern appearing or going,
 * or a failure with git's message (the specification keeps its last good state). Heads request
 * evaluations: one per specification for its branches, one per matching branch for a pattern. Every
 * poll looks for its heads' evaluation, new heads or not, and asks for it when the store has none: the
 * id comes from the commits (`pollEvaluationId`), so heads that never got theirs (a poll that stopped
 * between recording a head and asking, a name registered again after its removal) get it next time.
 * Polls of one specification never overlap and come at most every `minIntervalMs`; asking during a
 * poll runs one more right after it (the push that asked may be newer than the running fetch).
 */
import type { Logger } from 'pino';
import type { Checkout } from '../../../domain/checkout/checkout.ts';
import type { CheckoutCommand } from '../../../domain/checkout/commands.ts';
import type { CheckoutEvent } from '../../../domain/checkout/events.ts';
import { checkoutDecider, headDetectionOf, headOf } from '../../../domain/checkout/index.ts';
import { evaluationDecider } from '../../../domain/evaluation/index.ts';
import type { Trigger } from '../../../domain/evaluation/job.ts';
import { type Actor, parseActor } from '../../../domain/shared/metadata.ts';
import { streams } from '../../../domain/shared/streams.ts';
import {
  type Channel,
  isPatternChannel,
  matchesBranchPattern,
  type Specification,
} from '../../../domain/specification/specification.ts';
import type { EventStore } from '../../eventstore/event-store.ts';
import { readDomainEvent } from '../../eventstore/read-domain-event.ts';
import { readStreamState } from '../../eventstore/stream-state.ts';
import { fetchMirror, GitError, type GitOptions, listBranches } from '../../git/git.ts';
import { mirrorPath } from '../../git/mirror-path.ts';
import { issue, processCause } from '../issue.ts';
import { pollEvaluationId } from './evaluation-id.ts';

/** Whose a poll's events are: the user who asked for it by hand, or else the poller's own. */
function pollActor(trigger: Trigger): Actor {
  return (trigger.kind === 'manual' && trigger.by !== undefined && parseActor(trigger.by)) || 'poller';
}
export interface PollerOptions {
  readonly eventStore: EventStore;
  readonly dataDir: string;
  readonly logger: Logger;
  readonly listSpecs: () => readonly Specification[];
  readonly fetchTimeoutMs?: number;
  readonly minIntervalMs?: number;
  /** git's credential-store file for private remotes. */
  readonly credentialsFile?: string;
}

export interface PollOutcome {
  readonly spec: string;
  /** Heads recorded as new (`channel/branch`). */
  readonly detected: readonly string[];
  readonly deleted: readonly string[];
  readonly failed: readonly { channel: string; reason: string; message: string }[];
  readonly evaluations: readonly string[];
}

export interface Poller {
  start(): void;
  pollNow(spec: string, trigger?: Trigger): Promise<PollOutcome>;
  stop(): Promise<void>;
}

/** A poll that cannot run at all (as opposed to one that ran and recorded a failure). */
export class PollRefused extends Error {
  constructor(
    readonly code: 'TALLY_POLL_UNKNOWN_SPEC' | 'TALLY_POLL_INACTIVE_SPEC',
    message: string,
  ) {
    super(message);
  }
}

interface Head {
  readonly channel: Channel;
  readonly checkout: Checkout;
}

export function createPoller(options: PollerOptions): Poller {
  const { eventStore, dataDir, logger } = options;
  const minIntervalMs = options.minIntervalMs ?? 1000;
  const git: GitOptions = {
    timeoutMs: options.fetchTimeoutMs ?? 120_000,
    ...(options.credentialsFile ? { credentialsFile: options.credentialsFile } : {}),
  };
  const polls = new Map<string, { running: Promise<PollOutcome>; again?: Promise<PollOutcome> }>();
  const lastPolled = new Map<string, number>();
  const mirrors = new Map<string, Promise<unknown>>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  /** One fetch per mirror at a time: two specifications may follow one repository. */
  function withMirror<T>(dir: string, work: () => Promise<T>): Promise<T> {
    const previous = mirrors.get(dir) ?? Promise.resolve();
    const next = previous.then(work, work);
    mirrors.set(
      dir,
      next.catch(() => undefined),
    );
    return next;
  }

  async function fetchWithRetry(dir: string, url: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await withMirror(dir, () => fetchMirror(dir, url, git));
      } catch (error) {
        const transient = error instanceof GitError && error.reason === 'fetch-failed';
        if (!transient || attempt >= 2 || stopped) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
      }
    }
  }

  /**
   * The last checkout detected on a channel's branch (not a patch series), read from the end of the
   * checkout stream: needed only when the channel cannot be fetched, so it is not kept between polls.
   */
  async function lastCheckoutOf(
    spec: string,
    channel: string,
    branch: string,
  ): Promise<Checkout | undefined> {
    for await (const recorded of eventStore.readStream(streams.checkout(spec), { direction: 'backwards' })) {
      const event = readDomainEvent(recorded) as CheckoutEvent;
      if (event.type !== 'CheckoutDetected' || event.data.patchSeries) continue;
      if (event.data.channel !== channel || event.data.branch !== branch) continue;
      const { url, commit, commitTime } = event.data;
      return { channel, url, branch, commit, commitTime };
    }
    return undefined;
  }

  async function isRecorded(stream: string): Promise<boolean> {
    for await (const _first of eventStore.readStream(stream, { limit: 1 })) return true;
    return false;
  }

  /**
   * The detection an evaluation was requested for (`EvaluationRequested.detection`): `undefined` when
   * the store has no such evaluation, `null` when it has one that names none (asked by hand, or
   * recorded before evaluations named it).
   */
  async function requestedDetection(stream: string): Promise<number | null | undefined> {
    for await (const first of eventStore.readStream(stream, { limit: 1 })) {
      const event = readDomainEvent(first);
      return event.type === 'EvaluationRequested' ? (event.data.detection ?? null) : null;
    }
    return undefined;
  }

  /** How many times the name was registered (1 for a specification never removed; 0 if never). */
  async function registrationOf(spec: string): Promise<number> {
    let registrations = 0;
    for await (const recorded of eventStore.readStream(streams.spec(spec)))
      if (recorded.type === 'SpecificationRegistered') registrations += 1;
    return registrations;
  }

  async function poll(spec: Specification, trigger: Trigger): Promise<PollOutcome> {
    const cause = processCause(`poll:${spec.name}:${Date.now()}`);
    const actor = pollActor(trigger);
    const stream = streams.checkout(spec.name);
    const at = () => new Date().toISOString();
    const send = (command: CheckoutCommand) =>
      issue(eventStore, checkoutDecider, stream, command, cause, actor);
    // Kept between polls: only the checkouts recorded since the last poll are read.
    const { state: known } = await readStreamState(eventStore, checkoutDecider, stream);
    const heads: Head[] = [];
    const detected: string[] = [];
    const deleted: string[] = [];
    const failed: Array<{ channel: string; reason: string; message: string }> = [];
    for (const channel of spec.channels) {
      // A server stopping waits for running polls: one of many channels must not hold it up.
      if (stopped) break;
      const common = { spec: spec.name, channel: channel.name, actor, at: at() } as const;
      const dir = mirrorPath(dataDir, channel.url);
      let branches: Map<string, { commit: string; commitTime: string }>;
      try {
        await fetchWithRetry(dir, channel.url);
        branches = await listBranches(dir, git);
        if (!isPatternChannel(channel) && !branches.has(channel.branch))
          throw new GitError('not-found', `the branch ${channel.branch} does not exist in ${channel.url}`);
      } catch (error) {
        const reason = error instanceof GitError ? error.reason : 'fetch-failed';
        const message = (error as Error).message.slice(0, 2000);
        failed.push({ channel: channel.name, reason, message });
        await send({ ...common, type: 'RecordPollFailure', reason, message });
        logger.warn({ spec: spec.name, channel: channel.name, reason, message }, 'poll failed');
        // Evaluations need every followed branch: one that cannot be read now takes part with its
        // last commit, so a new commit elsewhere is not evaluated without it (nor left unevaluated).
        // A branch never detected has no last checkout: no need to read the stream back to its start.
        const last =
          isPatternChannel(channel) || headOf(known, channel.name, channel.branch) === undefined
            ? undefined
            : await lastCheckoutOf(spec.name, channel.name, channel.branch);
        if (last?.url === channel.url) heads.push({ channel, checkout: last });
        continue;
      }
      await send({ ...common, type: 'RecordPollSuccess' });
      const matching = [...branches].filter(([name]) =>
        isPatternChannel(channel)
          ? matchesBranchPattern(channel.branchPattern, name)
          : name === channel.branch,
      );
      for (const [branch, { commit, commitTime }] of matching) {
        if (stopped) break;
        const result = await send({
          ...common,
          type: 'DetectCheckout',
          url: channel.url,
          branch,
          commit,
          commitTime,
        });
        if (result.ok && result.events.length > 0) detected.push(`${channel.name}/${branch}`);
        heads.push({
          channel,
          checkout: { channel: channel.name, url: channel.url, branch, commit, commitTime },
        });
      }
      if (isPatternChannel(channel) && known.status === 'watching') {
        for (const branch of Object.keys(known.heads[channel.name] ?? {})) {
          if (branches.has(branch) || !matchesBranchPattern(channel.branchPattern, branch)) continue;
          const result = await send({ ...common, type: 'DeleteBranch', branch });
          if (result.ok && result.events.length > 0) deleted.push(`${channel.name}/${branch}`);
        }
      }
    }
    // A poll cut short by a stop has not seen every head: the next start polls again.
    if (stopped) return { spec: spec.name, detected, deleted, failed, evaluations: [] };
    // Read again for the detections this poll made: which detection made each head tells a branch
    // set back to commits evaluated before from one that never left them.
    const { state: now } = await readStreamState(eventStore, checkoutDecider, stream);
    const detectionOf = (checkouts: readonly Checkout[]) =>
      Math.max(0, ...checkouts.map((c) => headDetectionOf(now, c.channel, c.branch) ?? 0));
    const evaluations = await requestEvaluations(spec, heads, trigger, cause, detectionOf);
    return { spec: spec.name, detected, deleted, failed, evaluations };
  }

  async function requestEvaluations(
    spec: Specification,
    heads: readonly Head[],
    trigger: Trigger,
    cause: ReturnType<typeof processCause>,
    detectionOf: (checkouts: readonly Checkout[]) => number,
  ): Promise<string[]> {
    const fixed = heads.filter((head) => !isPatternChannel(head.channel));
    const patterned = heads.filter((head) => isPatternChannel(head.channel));
    const requests: Checkout[][] = [];
    const hasPattern = spec.channels.some(isPatternChannel);
    const fixedComplete =
      fixed.length === spec.channels.filter((channel) => !isPatternChannel(channel)).length;
    if (!fixedComplete) return [];
    if (!hasPattern) requests.push(fixed.map((head) => head.checkout));
    for (const head of patterned) requests.push([head.checkout, ...fixed.map((f) => f.checkout)]);
    if (requests.length === 0) return [];
    const registration = await registrationOf(spec.name);
    const requested: string[] = [];
    for (const checkouts of requests) {
      const detection = detectionOf(checkouts);
      let evaluationId = pollEvaluationId(spec.name, checkouts, registration);
      // Most polls find their evaluation recorded: its first event says so, without reading its jobs.
      const earlier = await requestedDetection(streams.evaluation(evaluationId));
      if (earlier !== undefined) {
        // Recorded for these very heads (or for heads whose detection it did not record): done.
        if (earlier === null || earlier >= detection) continue;
        // The same commits, detected again since: the heads were set back to them.
        evaluationId = pollEvaluationId(spec.name, checkouts, registration, detection);
        if (await isRecorded(streams.evaluation(evaluationId))) continue;
      }
      const command = {
        type: 'RequestEvaluation',
        evaluationId,
        spec: spec.name,
        trigger,
        checkouts,
        ...(detection > 0 ? { detection } : {}),
        actor: pollActor(trigger),
        at: new Date().toISOString(),
      } as const;
      const result = await issue(
        eventStore,
        evaluationDecider,
        streams.evaluation(evaluationId),
        command,
        cause,
        pollActor(trigger),
      );
      if (result.ok && result.events.length > 0) requested.push(evaluationId);
    }
    return requested;
  }

  async function pollAfterInterval(name: string, trigger: Trigger): Promise<PollOutcome> {
    const wait = (lastPolled.get(name) ?? 0) + minIntervalMs - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const spec = options.listSpecs().find((candidate) => candidate.name === name);
    if (!spec) throw new PollRefused('TALLY_POLL_UNKNOWN_SPEC', `no specification ${name} is registered`);
    if (!spec.active)
      throw new PollRefused(
        'TALLY_POLL_INACTIVE_SPEC',
        `${name} is deactivated: activate it to poll it again`,
      );
    try {
      return await poll(spec, trigger);
    } finally {
      lastPolled.set(name, Date.now());
    }
  }

  function pollNow(name: string, trigger: Trigger = { kind: 'poll' }): Promise<PollOutcome> {
    const current = polls.get(name);
    if (current) {
      current.again ??= current.running.catch(() => undefined).then(() => pollNow(name, trigger));
      return current.again;
    }
    const running = pollAfterInterval(name, trigger).finally(() => {
      if (polls.get(name)?.running === running) polls.delete(name);
    });
    polls.set(name, { running });
    return running;
  }

  function tick(): void {
    if (stopped) return;
    const now = Date.now();
    for (const spec of options.listSpecs()) {
      if (!spec.active || spec.pollingPeriodSeconds <= 0 || polls.has(spec.name)) continue;
      if (now - (lastPolled.get(spec.name) ?? 0) < spec.pollingPeriodSeconds * 1000) continue;
      pollNow(spec.name).catch((error) => logger.error({ err: error, spec: spec.name }, 'poll failed'));
    }
  }

  return {
    start() {
      timer = setInterval(tick, 1000);
      timer.unref();
      tick();
    },
    pollNow,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await Promise.allSettled(
        [...polls.values()].flatMap((p) => [p.running, ...(p.again ? [p.again] : [])]),
      );
    },
  };
}
