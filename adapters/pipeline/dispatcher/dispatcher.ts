/**
 * The dispatcher: keeps the run queue (from the pipeline projection at start, then from every live
 * build event), gives runnable builds to workers with free slots, and turns what workers report into
 * build events. Each dispatch is an attempt with a fresh id; the build stream refuses a second
 * dispatch and records as ignored the results of attempts that are no longer current, so a late or
 * duplicated report changes nothing. Specifications of one priority share the workers by their
 * recent use (see `fair-share.ts`). A worker an operator drained or removed gets no new work and
 * finishes what it runs. Decisions are made one at a time (a promise chain), never in parallel.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { BuildEvent } from '../../../domain/build/events.ts';
import { type BuildCommand, buildDecider } from '../../../domain/build/index.ts';
import { createRunQueue, type RunQueue } from '../../../domain/scheduling/index.ts';
import type { Actor } from '../../../domain/shared/metadata.ts';
import { streams } from '../../../domain/shared/streams.ts';
import { workerDecider } from '../../../domain/worker/index.ts';
import type { PipelineBuild, PipelineState } from '../../../projections/pipeline/index.ts';
import type { ProjectedEvent } from '../../../projections/runtime/projection.ts';
import { getIn } from '../../../projections/shared/persistent-map.ts';
import type { WorkersState } from '../../../projections/workers/index.ts';
import type { EventStore } from '../../eventstore/event-store.ts';
import type { AttemptOutcome, WorkerLink, WorkerReports } from '../../workers/worker-link.ts';
import { issue, processCause } from '../issue.ts';
import { limitsFor, retriesLeft } from './build-limits.ts';
import { type ReactionContext, reactToBuildEvent } from './build-reactions.ts';
import { EndedAttempts } from './ended-attempts.ts';
import { createFairShare } from './fair-share.ts';
import { backoffMs, verdictOf } from './outcome.ts';
import { registerWorker } from './register-worker.ts';
import { resultCommand } from './result-command.ts';
import { resumeFromState } from './resume-from-state.ts';

export interface DispatcherOptions {
  readonly events: EventStore;
  readonly state: () => PipelineState;
  /**
   * The workers read model, for who takes work: a worker drained there (`POST
   * /api/workers/:name/drain`) or removed gets none until it is resumed or registers again.
   */
  readonly workers: () => WorkersState;
  readonly logger: Logger;
  readonly now?: () => number;
  /** First retry delay after a transient failure; doubles each time. */
  readonly backoffBaseMs?: number;
}

interface Attempt {
  readonly attemptId: string;
  readonly drvPath: string;
  readonly worker: string;
  readonly spec: string;
  /** The number naming the attempt's log. */
  readonly number: number;
}

interface Connected {
  readonly link: WorkerLink;
  readonly running: Set<string>;
}

export interface Dispatcher {
  /** Connects a worker: `connect` builds its link, given the reports it must send back. */
  addWorker(name: string, connect: (reports: WorkerReports) => WorkerLink): Promise<void>;
  /** Fills the run queue from the pipeline state and requeues attempts nobody follows any more. */
  resume(): Promise<void>;
  /** Folds a live build event into the run queue and reacts to it. */
  onBuildEvent(event: ProjectedEvent<BuildEvent>): void;
  /** Gives work to free slots again: a worker event may have let one take work (resumed, registered). */
  wake(): void;
  /** Attempts running now, by worker. */
  running(): ReadonlyMap<string, number>;
  /** Settles in-flight decisions, disconnects every worker. */
  stop(): Promise<void>;
  /** Resolves once every decision queued so far has been made (for tests and shutdown). */
  settled(): Promise<void>;
}

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { events, logger } = options;
  const now = options.now ?? Date.now;
  const queue: RunQueue = createRunQueue();
  const workers = new Map<string, Connected>();
  const attempts = new Map<string, Attempt>();
  const runningBySpec = new Map<string, number>();
  const fairShare = createFairShare();
  const ended = new EndedAttempts<Attempt>();
  let lateReports = 0;
  let chain: Promise<void> = Promise.resolve();
  let deferredTimer: NodeJS.Timeout | undefined;
  let stopped = false;

  /** Runs decisions one after another; a failed one is logged and the next goes on. */
  const serially = (work: () => Promise<void>) => {
    chain = chain.then(work).catch((error) => logger.error({ err: error }, 'a dispatch decision failed'));
    return chain;
  };

  const send = (drvPath: string, command: BuildCommand, actor: Actor, causeId: string) =>
    issue(events, buildDecider, streams.build(drvPath), command, processCause(causeId), actor);

  const build = (drvPath: string): PipelineBuild | undefined => getIn(options.state().builds, drvPath);

  const reactions: ReactionContext = {
    queue,
    state: options.state,
    send,
    now,
    cancelAttempts(drvPath) {
      for (const attempt of attempts.values()) {
        if (attempt.drvPath === drvPath) workers.get(attempt.worker)?.link.cancel(attempt.attemptId);
      }
    },
  };

  function countRunning(spec: string, delta: number): void {
    const next = (runningBySpec.get(spec) ?? 0) + delta;
    if (next <= 0) runningBySpec.delete(spec);
    else runningBySpec.set(spec, next);
  }

  function endAttempt(attemptId: string): Attempt | undefined {
    const attempt = attempts.get(attemptId);
    if (!attempt) return undefined;
    attempts.delete(attemptId);
    ended.remember(attemptId, attempt);
    workers.get(attempt.worker)?.running.delete(attemptId);
    countRunning(attempt.spec, -1);
    return attempt;
  }

  async function dispatchOne(connected: Connected): Promise<boolean> {
    const { capabilities } = connected.link;
    const pick = queue.next({ systems: capabilities.systems }, now(), fairShare.shares(runningBySpec, now()));
    if (!pick) return false;
    queue.remove(pick.drvPath);
    const attemptId = randomUUID();
    const command = {
      type: 'DispatchBuild',
      drvPath: pick.drvPath,
      worker: { name: capabilities.name, systems: capabilities.systems },
      attemptId,
      actor: 'dispatcher',
      at: new Date(now()).toISOString(),
    } as const;
    const result = await send(pick.drvPath, command, 'dispatcher', `dispatch:${attemptId}`);
    if (!result.ok) {
      logger.debug(
        { drvPath: pick.drvPath, refusal: result.refusal.message },
        'dispatch refused; next build',
      );
      return true;
    }
    const dispatched = result.events.find((event) => event.type === 'BuildDispatched');
    if (dispatched?.type !== 'BuildDispatched') return true;
    const { spec } = pick;
    const attempt = {
      attemptId,
      drvPath: pick.drvPath,
      worker: capabilities.name,
      spec,
      number: dispatched.data.attempt,
    };
    attempts.set(attemptId, attempt);
    connected.running.add(attemptId);
    countRunning(spec, 1);
    fairShare.dispatched(spec, now());
    logger.info(
      { drvPath: pick.drvPath, worker: capabilities.name, attempt: attempt.number },
      'build dispatched',
    );
    connected.link.assign({
      attemptId,
      attempt: attempt.number,
      drvPath: pick.drvPath,
      limits: limitsFor(options.state().specs, build(pick.drvPath)),
    });
    return true;
  }

  function armDeferredTimer(): void {
    if (deferredTimer) clearTimeout(deferredTimer);
    deferredTimer = undefined;
    const at = queue.nextDeferredAt(now());
    if (at === undefined || stopped) return;
    deferredTimer = setTimeout(() => void pump(), Math.max(0, at - now()) + 5);
    deferredTimer.unref();
  }

  /**
   * False while an operator has the worker drained or removed. A worker the read model has not seen yet
   * (its registration still being folded in) is new, so it takes work.
   */
  const takesWork = (known: WorkersState, name: string) => {
    const record = getIn(known.workers, name);
    return record === undefined || (!record.drained && !record.removed);
  };

  /** Gives work to every free slot, as long as there is runnable work. */
  const pump = () =>
    serially(async () => {
      if (stopped) return;
      // Read once: each read hands the state out, and the next fold then copies what it changes.
      const known = options.workers();
      for (const connected of workers.values()) {
        if (!takesWork(known, connected.link.capabilities.name)) continue;
        while (!stopped && connected.running.size < connected.link.capabilities.maxJobs) {
          if (!(await dispatchOne(connected))) break;
        }
      }
      armDeferredTimer();
    });

  /**
   * The result of an attempt that already ended (a second answer, or one after its build moved on):
   * sent as it is, so the build stream records it as ignored, since its attempt is no longer current.
   */
  async function recordLate(
    attempt: Attempt,
    outcome: AttemptOutcome,
    timings: { startedAt: Date; finishedAt: Date },
    actor: Actor,
    causeId: string,
  ): Promise<void> {
    // A success is recorded as it is; a failure as one, never retried (the attempt is over).
    const command = resultCommand({
      drvPath: attempt.drvPath,
      attemptId: attempt.attemptId,
      outcome,
      verdict: verdictOf(outcome, false),
      timings,
      actor,
      at: new Date(now()).toISOString(),
    });
    // A cancel is ours to begin with: nothing to record.
    if (command) await send(attempt.drvPath, command, actor, causeId);
  }

  /**
   * A worker's result that breaks its event's schema (a success with no outputs, an exit status of 0)
   * cannot be recorded: the attempt fails as rejected instead, so the build does not stay dispatched
   * with nobody left to end it.
   */
  async function rejectReport(attempt: Attempt, reported: string, why: string, actor: Actor): Promise<void> {
    logger.warn(
      { drvPath: attempt.drvPath, attemptId: attempt.attemptId, reported, why },
      'a worker reported a result that cannot be recorded; failing its attempt',
    );
    const command = {
      type: 'FailBuild',
      drvPath: attempt.drvPath,
      attemptId: attempt.attemptId,
      reason: { kind: 'output-rejected', detail: `the worker's ${reported} could not be recorded: ${why}` },
      actor,
      at: new Date(now()).toISOString(),
    } as const;
    await send(attempt.drvPath, command, actor, `rejected:${attempt.attemptId}`);
  }

  function report(worker: string): WorkerReports {
    const actor: Actor = `worker:${worker}`;
    const at = () => new Date(now()).toISOString();
    /** A report about an attempt that already ended gets a cause of its own (its events differ). */
    const causeOf = (kind: string, attemptId: string) =>
      attempts.has(attemptId) ? `${kind}:${attemptId}` : `late-${kind}:${attemptId}:${++lateReports}`;
    return {
      started(attemptId, startedAt) {
        const attempt = attempts.get(attemptId) ?? ended.get(attemptId);
        if (!attempt) return;
        const causeId = causeOf('started', attemptId);
        void serially(async () => {
          const command = {
            type: 'StartBuild',
            drvPath: attempt.drvPath,
            attemptId,
            actor,
            at: startedAt.toISOString(),
          } as const;
          await send(attempt.drvPath, command, actor, causeId);
        });
      },
      logStored(attemptId, bytes) {
        const attempt = attempts.get(attemptId) ?? ended.get(attemptId);
        if (!attempt) return;
        void serially(async () => {
          const command = {
            type: 'RecordBuildLog',
            drvPath: attempt.drvPath,
            attemptId,
            logRef: `attempt:${attempt.number}`,
            bytes,
            actor,
            at: at(),
          } as const;
          await send(attempt.drvPath, command, actor, `log:${attemptId}`);
        });
      },
      finished(attemptId, outcome, timings) {
        const attempt = endAttempt(attemptId);
        if (!attempt) {
          const late = ended.get(attemptId);
          const causeId = causeOf('finished', attemptId);
          if (late) void serially(() => recordLate(late, outcome, timings, actor, causeId));
          return;
        }
        void serially(async () => {
          const record = build(attempt.drvPath);
          const verdict = verdictOf(outcome, retriesLeft(options.state().specs, record));
          const command = resultCommand({
            drvPath: attempt.drvPath,
            attemptId,
            outcome,
            verdict,
            timings,
            actor,
            at: at(),
            notBefore: new Date(now() + backoffMs(record?.retries ?? 0, options.backoffBaseMs)).toISOString(),
          });
          if (!command) return;
          const sent = await send(attempt.drvPath, command, command.actor, `finished:${attemptId}`);
          if (!sent.ok && sent.refusal.code === 'TALLY_EVENT_INVALID')
            await rejectReport(attempt, command.type, sent.refusal.message, actor);
        });
        void pump();
      },
    };
  }

  return {
    async addWorker(name, connect) {
      const link = connect(report(name));
      if (link.capabilities.name !== name)
        throw new Error(`worker ${name} calls itself ${link.capabilities.name}`);
      await registerWorker(events, link, now);
      workers.set(name, { link, running: new Set() });
      logger.info({ worker: name, systems: link.capabilities.systems }, 'worker connected');
      await pump();
    },
    async resume() {
      await serially(async () => {
        const requeued = await resumeFromState(reactions, (attemptId) => attempts.has(attemptId));
        logger.info({ queued: queue.size(), requeued }, 'dispatcher resumed');
      });
      await pump();
    },
    onBuildEvent(projected) {
      void serially(() => reactToBuildEvent(reactions, projected));
      void pump();
    },
    wake() {
      void pump();
    },
    running: () => new Map([...workers].map(([name, connected]) => [name, connected.running.size])),
    async stop() {
      stopped = true;
      if (deferredTimer) clearTimeout(deferredTimer);
      await chain;
      await Promise.all([...workers.values()].map((connected) => connected.link.close()));
      for (const name of workers.keys()) {
        const command = {
          type: 'DisconnectWorker',
          name,
          actor: 'dispatcher',
          at: new Date(now()).toISOString(),
        } as const;
        await issue(
          events,
          workerDecider,
          streams.worker(name),
          command,
          processCause(`disconnect:${name}:${randomUUID()}`),
          'dispatcher',
        ).catch((error) => logger.warn({ err: error, worker: name }, 'could not record the worker leaving'));
      }
      workers.clear();
    },
    settled: () => chain,
  };
}
