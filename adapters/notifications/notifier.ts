/**
 * The notifier: when an evaluation ends (it failed or was aborted, or every job's build finished), each
 * webhook its specification names is POSTed the evaluation's report, signed with the farm's key. Every
 * attempt is recorded in the notification's stream (`NotificationSent`, or `NotificationFailed` with
 * when to try again), so a restarted notifier resumes retries and never sends a delivered report twice.
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
import { type EvaluationReport, evaluationReport } from '../../projections/evaluations/report.ts';
import type { EvaluationsState } from '../../projections/evaluations/state.ts';
import type { JobsetsState } from '../../projections/jobsets/state.ts';
import type { PipelineState } from '../../projections/pipeline/index.ts';
import type { ProjectedEvent } from '../../projections/runtime/projection.ts';
import type { ProjectionRunner } from '../../projections/runtime/runner.ts';
import { getIn } from '../../projections/shared/persistent-map.ts';
import type { EventStore } from '../eventstore/event-store.ts';
import { readDomainEvent } from '../eventstore/read-domain-event.ts';
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

/** The latest evaluations of a specification the notifier looks at: older ones were reported before. */
const recentEvaluations = 3;

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
  let detach: (() => void) | undefined;
  let stopped = false;

  function targetsOf(spec: string): readonly WebhookTarget[] {
    return own(pipeline().specs, spec)?.notifications ?? [];
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
    const report = evaluationReport(evaluations(), evaluationId);
    if (!report) return;
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
    const common = {
      at: at.toISOString(),
      actor: 'notifier' as const,
      notificationId: id,
      channel: 'webhook' as const,
      target: target.url,
      about: { kind: 'evaluation' as const, evaluationId },
      attempt: number,
    };
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
   * `onlyIfNewerThan`: a target whose stream is empty is sent the report only when the evaluation was
   * requested at or after this time (catching up after a start passes over what ended before a
   * target was configured).
   */
  function notify(evaluationId: string, onlyIfNewerThan?: string): void {
    const report = evaluationReport(evaluations(), evaluationId);
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
        if (onlyIfNewerThan !== undefined && report.evaluation.requestedAt < onlyIfNewerThan) return;
        await attempt(id, target, evaluationId, 1);
      });
    }
  }

  /** The recent evaluations wanting a derivation whose build just ended, of specifications with targets. */
  function evaluationsWanting(drvPath: string): string[] {
    const state = evaluations();
    const wanters = getIn(state.drvs, drvPath)?.wanters ?? [];
    const found = new Set<string>();
    // The latest wanters last: a derivation wanted by every evaluation of years need not be read whole.
    for (let i = wanters.length - 1; i >= 0 && i >= wanters.length - 64; i--) {
      const id = wanters[i]!;
      const spec = getIn(state.evaluations, id)?.info.spec;
      if (spec === undefined || targetsOf(spec).length === 0) continue;
      const ids = own(state.bySpec, spec) ?? [];
      if (ids.lastIndexOf(id) >= ids.length - recentEvaluations) found.add(id);
    }
    return [...found];
  }

  function react(projected: ProjectedEvent<TallyEvent>): void {
    const { event } = projected;
    switch (event.type) {
      case 'EvaluationCompleted':
      case 'EvaluationFailed':
      case 'EvaluationAborted':
        notify(event.data.evaluationId);
        return;
      case 'BuildSucceeded':
      case 'BuildFailed':
      case 'BuildSubstituted':
      case 'BuildCancelled':
        for (const id of evaluationsWanting(event.data.drvPath)) notify(id);
        return;
      default:
        return;
    }
  }

  function catchUp(): void {
    const jobsets = projections.state<JobsetsState>('jobsets');
    const state = evaluations();
    for (const spec of Object.values(pipeline().specs) as Specification[]) {
      if ((spec.notifications ?? []).length === 0) continue;
      const configuredAt = own(jobsets.specs, spec.name)?.updatedAt;
      const ids = own(state.bySpec, spec.name) ?? [];
      for (const id of ids.slice(-recentEvaluations)) notify(id, configuredAt);
    }
  }

  return {
    async start() {
      let head = -1;
      for await (const event of events.readAll({ direction: 'backwards', limit: 1 })) head = event.position;
      if (head >= 0) await projections.waitFor(head, 10 * 60_000);
      detach = projections.onApplied(react);
      catchUp();
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
