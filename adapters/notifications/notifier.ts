/**
 * The notifier: when an evaluation ends (it failed or was aborted, or every job's build finished), each
 * webhook its specification names is POSTed the evaluation's report, signed with the farm's key. Every
 * attempt is recorded in the notification's stream (`NotificationSent`, or `NotificationFailed` with
 * when to try again), so a restarted notifier resumes retries and never sends a delivered report twice.
 *
 * Completed evaluations are watched until their last build ends; a start watches again those still
 * waiting, and sends what ended while it was stopped (of each specification's latest evaluations, to
 * the targets that were there when the evaluation was requested).
 *
 * A report may still reach a receiver twice: if the server stops between a receiver's answer and the
 * record of it, the next start sends it again. Receivers tell repeats apart by `X-Tally-Notification-Id`.
 */
import type { Logger } from 'pino';
import type { SecretKey } from '../../domain/derivation/signing.ts';
import { signDetached } from '../../domain/derivation/signing.ts';
import type { TallyEvent } from '../../domain/events.ts';
import type { NotificationCommand } from '../../domain/notification/commands.ts';
import type { NotificationEvent } from '../../domain/notification/events.ts';
import { notificationDecider } from '../../domain/notification/index.ts';
import { evaluationNotificationId, retryAfter, retryDelaysMs } from '../../domain/notification/policy.ts';
import type { NotificationState } from '../../domain/notification/state.ts';
import { fold } from '../../domain/shared/decider.ts';
import { own } from '../../domain/shared/own.ts';
import { streams } from '../../domain/shared/streams.ts';
import type { Specification, WebhookTarget } from '../../domain/specification/specification.ts';
import { allBuilt, type EvaluationReport, evaluationReport } from '../../projections/evaluations/report.ts';
import type { EvaluationsState } from '../../projections/evaluations/state.ts';
import type { PipelineState } from '../../projections/pipeline/index.ts';
import type { ProjectedEvent } from '../../projections/runtime/projection.ts';
import type { ProjectionRunner } from '../../projections/runtime/runner.ts';
import { getIn } from '../../projections/shared/persistent-map.ts';
import type { EventStore } from '../eventstore/event-store.ts';
import { readDomainEvent } from '../eventstore/read-domain-event.ts';
import { projectionsCaughtUp } from '../pipeline/caught-up.ts';
import { issue, processCause } from '../pipeline/issue.ts';
import { postWebhook } from './webhook.ts';

export interface NotifierOptions {
  readonly events: EventStore;
  readonly projections: ProjectionRunner<TallyEvent>;
  /** The farm's key: every report is signed with it (`X-Tally-Signature`). */
  readonly signingKey: SecretKey;
  readonly logger: Logger;
  /** Waits before each retry (default `retryDelaysMs`: 30 s, 2 min, 10 min, 1 h). */
  readonly retryDelaysMs?: readonly number[];
  /** How long a receiver has to answer. Default 10 s. */
  readonly timeoutMs?: number;
}

export interface Notifier {
  /** Catches up with evaluations that ended while it was stopped, then follows the live events. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves when no delivery is under way (retries waiting on their timers do not count). */
  idle(): Promise<void>;
}

/** How many of each specification's latest evaluations a start looks at for reports still due. */
const catchUpDepth = 100;

/** The report as receivers get it. */
export function reportBody(notificationId: string, attempt: number, report: EvaluationReport): string {
  return JSON.stringify({
    type: 'evaluation-ended',
    notificationId,
    attempt,
    spec: report.evaluation.spec,
    outcome: report.outcome,
    evaluation: report.evaluation,
    ...(report.comparedWith === undefined ? {} : { comparedWith: report.comparedWith }),
    newFailures: report.newFailures,
    fixed: report.fixed,
    truncated: report.truncated,
  });
}

export function createNotifier(options: NotifierOptions): Notifier {
  const { events, projections, logger } = options;
  const delays = options.retryDelaysMs ?? retryDelaysMs;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const pipeline = () => projections.state<PipelineState>('pipeline');
  const evaluations = () => projections.state<EvaluationsState>('evaluations');
  /** Notification ids with a delivery under way or a retry waiting. */
  const busy = new Map<string, Promise<void>>();
  /** Retries waiting on their timers, by notification id. */
  const waiting = new Map<string, NodeJS.Timeout>();
  /** Completed evaluations some of whose builds are still to come: each is reported when it ends. */
  const pending = new Set<string>();
  let detach: (() => void) | undefined;
  let stopped = false;

  function targetsOf(spec: string): readonly WebhookTarget[] {
    return own(pipeline().specs, spec)?.notifications ?? [];
  }

  /** The evaluation's report, its jobs compared within its line as its specification's channels tell. */
  function reportOf(evaluationId: string): EvaluationReport | undefined {
    const state = evaluations();
    const spec = getIn(state.evaluations, evaluationId)?.info.spec;
    const channels = spec === undefined ? [] : (own(pipeline().specs, spec)?.channels ?? []);
    return evaluationReport(state, evaluationId, channels);
  }

  /** The notification's state and, when a retry is planned, when (epoch ms). */
  async function streamState(id: string): Promise<{ state: NotificationState; retryAt?: number }> {
    const history: NotificationEvent[] = [];
    for await (const recorded of events.readStream(streams.notification(id)))
      history.push(readDomainEvent(recorded) as NotificationEvent);
    const last = history[history.length - 1];
    const retryAt = last?.type === 'NotificationFailed' ? last.data.retryAt : undefined;
    return {
      state: fold(notificationDecider, history),
      ...(retryAt === undefined ? {} : { retryAt: Date.parse(retryAt) }),
    };
  }

  async function record(id: string, command: NotificationCommand): Promise<void> {
    const issued = await issue(
      events,
      notificationDecider,
      streams.notification(id),
      command,
      processCause(`notify:${id}:${command.attempt}`),
      'notifier',
    );
    if (!issued.ok)
      logger.warn({ notificationId: id, refusal: issued.refusal.message }, 'attempt not recorded');
  }

  /** One attempt: send the evaluation's current report, record how it went, and plan the next try. */
  async function attempt(
    id: string,
    target: WebhookTarget,
    evaluationId: string,
    number: number,
  ): Promise<void> {
    const report = reportOf(evaluationId);
    if (!report) {
      // A build of it was restarted since: the report goes when it has ended again.
      pending.add(evaluationId);
      return;
    }
    const common = {
      at: new Date().toISOString(),
      actor: 'notifier' as const,
      notificationId: id,
      channel: 'webhook' as const,
      target: target.url,
      about: { kind: 'evaluation' as const, evaluationId },
      attempt: number,
    };
    if (!targetsOf(report.evaluation.spec).some((each) => each.url === target.url)) {
      // Taken out of the specification while a retry waited: given up, and said why.
      await record(id, {
        type: 'RecordNotificationFailed',
        ...common,
        reason: 'misconfigured',
        detail: 'the target was removed from the specification',
      });
      return;
    }
    const body = reportBody(id, number, report);
    const delivery = await postWebhook(
      target.url,
      body,
      {
        'x-tally-notification-id': id,
        'x-tally-attempt': String(number),
        'x-tally-signature': signDetached(options.signingKey, body),
      },
      timeoutMs,
    );
    const at = new Date();
    if (delivery.ok) {
      await record(id, { type: 'RecordNotificationSent', ...common });
      logger.info(
        { notificationId: id, evaluationId, target: target.url, attempt: number },
        'notification sent',
      );
      return;
    }
    const retryAt = retryAfter(number, delivery.reason, at, delays);
    await record(id, {
      type: 'RecordNotificationFailed',
      ...common,
      reason: delivery.reason,
      detail: delivery.detail,
      ...(retryAt === undefined ? {} : { retryAt }),
    });
    logger.warn(
      {
        notificationId: id,
        evaluationId,
        target: target.url,
        attempt: number,
        reason: delivery.reason,
        detail: delivery.detail,
        retryAt,
      },
      retryAt ? 'notification failed; it is tried again later' : 'notification failed; given up',
    );
    if (retryAt !== undefined) later(id, target, evaluationId, number + 1, Date.parse(retryAt) - Date.now());
  }

  function later(
    id: string,
    target: WebhookTarget,
    evaluationId: string,
    number: number,
    waitMs: number,
  ): void {
    if (stopped || waiting.has(id)) return;
    const timer = setTimeout(
      () => {
        waiting.delete(id);
        run(id, () => attempt(id, target, evaluationId, number));
      },
      Math.max(0, waitMs),
    );
    waiting.set(id, timer);
  }

  function run(id: string, work: () => Promise<void>): void {
    if (stopped) return;
    const running = work()
      .catch((error) =>
        logger.error({ err: error, notificationId: id }, 'notifying failed; the next start tries again'),
      )
      .finally(() => {
        if (busy.get(id) === running) busy.delete(id);
      });
    busy.set(id, running);
  }

  /**
   * Sends the report of `evaluationId` to each of its specification's targets that has not had it.
   * `since`: when catching up after a start, when each target was added to the specification; a
   * target whose stream is empty is sent the report only of an evaluation requested since then, so a
   * new target is not sent the reports of evaluations that ended before it was there.
   */
  function notify(evaluationId: string, since?: ReadonlyMap<string, string>): void {
    const report = reportOf(evaluationId);
    if (!report) return;
    for (const target of targetsOf(report.evaluation.spec)) {
      const id = evaluationNotificationId(evaluationId, target.url);
      if (busy.has(id) || waiting.has(id)) continue;
      run(id, async () => {
        const { state, retryAt } = await streamState(id);
        if (state.status === 'sent' || state.status === 'abandoned') return;
        if (state.status === 'retrying') {
          later(id, target, evaluationId, state.attempts + 1, (retryAt ?? 0) - Date.now());
          return;
        }
        const added = since?.get(target.url);
        if (since !== undefined && (added === undefined || report.evaluation.requestedAt < added)) return;
        await attempt(id, target, evaluationId, 1);
      });
    }
  }

  /** When each of a specification's current targets was added to it (the time of that change). */
  async function targetsSince(spec: string): Promise<Map<string, string>> {
    const since = new Map<string, string>();
    for await (const recorded of events.readStream(streams.spec(spec))) {
      const event = readDomainEvent(recorded) as TallyEvent;
      if (event.type === 'SpecificationRemoved') since.clear();
      if (event.type !== 'SpecificationRegistered' && event.type !== 'SpecificationUpdated') continue;
      const at =
        typeof recorded.metadata.at === 'string' ? recorded.metadata.at : recorded.created.toISOString();
      const urls = new Set((event.data.spec.notifications ?? []).map((target) => target.url));
      for (const url of [...since.keys()]) if (!urls.has(url)) since.delete(url);
      for (const url of urls) if (!since.has(url)) since.set(url, at);
    }
    return since;
  }

  /** Checks the completed evaluations still waiting for builds, and reports those that have ended. */
  function checkPending(): void {
    const state = evaluations();
    for (const id of pending) {
      const doc = getIn(state.evaluations, id);
      if (doc?.info.status !== 'completed') pending.delete(id);
      else if (allBuilt(doc.counts)) {
        pending.delete(id);
        notify(id);
      }
    }
  }

  function react(projected: ProjectedEvent<TallyEvent>): void {
    const { event } = projected;
    switch (event.type) {
      case 'EvaluationCompleted':
        // Ended at once when every build it wants is done already; otherwise when the last one ends.
        pending.add(event.data.evaluationId);
        checkPending();
        return;
      case 'EvaluationFailed':
      case 'EvaluationAborted':
        pending.delete(event.data.evaluationId);
        notify(event.data.evaluationId);
        return;
      case 'BuildSucceeded':
      case 'BuildFailed':
      case 'BuildSubstituted':
      case 'BuildCancelled':
        if (pending.size > 0) checkPending();
        return;
      default:
        return;
    }
  }

  /**
   * After a start: the completed evaluations still waiting for builds are watched again, and what
   * ended while the notifier was stopped is reported (retries waiting are taken up), for each
   * specification's latest `catchUpDepth` evaluations.
   */
  async function catchUp(): Promise<void> {
    const state = evaluations();
    for (const spec of Object.values(pipeline().specs) as Specification[]) {
      const ids = (own(state.bySpec, spec.name) ?? []).slice(-catchUpDepth);
      const since = (spec.notifications ?? []).length > 0 ? await targetsSince(spec.name) : undefined;
      for (const id of ids) {
        const doc = getIn(state.evaluations, id);
        if (doc?.info.status === 'completed' && !allBuilt(doc.counts)) pending.add(id);
        else if (since) notify(id, since);
      }
    }
  }

  return {
    async start() {
      await projectionsCaughtUp(events, projections);
      detach = projections.onApplied(react);
      await catchUp();
    },
    async stop() {
      stopped = true;
      detach?.();
      for (const timer of waiting.values()) clearTimeout(timer);
      waiting.clear();
      await Promise.allSettled(busy.values());
    },
    async idle() {
      while (busy.size > 0) await Promise.allSettled(busy.values());
    },
  };
}
