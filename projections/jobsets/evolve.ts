/**
 * Folding specification, checkout, evaluation and build events into jobsets. A specification's
 * document is replaced by a new one when it changes; build events only set one derivation's status,
 * so they stay O(1).
 */
import type { Checkout } from '../../domain/checkout/checkout.ts';
import type { TallyEvent } from '../../domain/events.ts';
import { own } from '../../domain/shared/own.ts';
import { lineBranchesOf, lineIdOf } from '../../domain/specification/line.ts';
import { buildStatusAfter } from '../evaluations/evolve.ts';
import { type JobList, noJobList } from '../evaluations/job-list.ts';
import type { ProjectedEvent } from '../runtime/projection.ts';
import { factText } from '../shared/fact-time.ts';
import { interned } from '../shared/interned.ts';
import { deleteIn, getIn, setIn } from '../shared/persistent-map.ts';
import { changeLastEvaluation, changeLine, withoutBranch } from './lines.ts';
import { type JobsetsState, noProgress, type SpecDoc, type SpecProgress } from './state.ts';

export function evolveJobsets(state: JobsetsState, projected: ProjectedEvent<TallyEvent>): JobsetsState {
  const { event } = projected;
  const at = factText(projected);
  switch (event.type) {
    case 'SpecificationRegistered': {
      const { spec } = event.data;
      const doc: SpecDoc = {
        name: spec.name,
        definition: spec,
        active: spec.active,
        registeredAt: at,
        updatedAt: at,
        revision: projected.revision,
        channels: {},
      };
      return {
        ...state,
        specs: { ...state.specs, [spec.name]: doc },
        progress: setIn(state.progress, spec.name, noProgress),
      };
    }
    case 'SpecificationUpdated':
      return changeSpec(state, event.data.spec.name, (doc) => ({
        ...doc,
        definition: event.data.spec,
        updatedAt: at,
        revision: projected.revision,
      }));
    case 'SpecificationDeactivated':
    case 'SpecificationActivated':
      return changeSpec(state, event.data.name, (doc) => ({
        ...doc,
        active: event.type === 'SpecificationActivated',
        updatedAt: at,
        revision: projected.revision,
      }));
    case 'SpecificationRemoved': {
      if (!own(state.specs, event.data.name)) return state;
      const { [event.data.name]: _removed, ...specs } = state.specs;
      // Its evaluations still running are the removed specification's: were they left here, their jobs
      // and their end would land on a specification registered again under the name.
      const runningSpecs = Object.fromEntries(
        Object.entries(state.runningSpecs).filter(([, spec]) => spec !== event.data.name),
      );
      return { ...state, specs, progress: deleteIn(state.progress, event.data.name), runningSpecs };
    }
    case 'CheckoutDetected': {
      const { spec, channel, branch, commit, commitTime, detectedAt } = event.data;
      return changeSpec(state, spec, (doc) => {
        const before = own(doc.channels, channel) ?? {};
        const after = { ...before, lastCheckout: { commit, branch, commitTime, detectedAt } };
        return { ...doc, channels: { ...doc.channels, [channel]: after } };
      });
    }
    case 'PollFailed': {
      const { spec, channel, reason, message } = event.data;
      return changeSpec(state, spec, (doc) => {
        const { recoveredAt: _, ...before } = own(doc.channels, channel) ?? {};
        const after = { ...before, pollFailure: { reason, message, since: at } };
        return { ...doc, channels: { ...doc.channels, [channel]: after } };
      });
    }
    case 'PollRecovered': {
      const { spec, channel } = event.data;
      return changeSpec(state, spec, (doc) => {
        const { pollFailure: _, ...before } = own(doc.channels, channel) ?? {};
        return { ...doc, channels: { ...doc.channels, [channel]: { ...before, recoveredAt: at } } };
      });
    }
    case 'BranchDeleted': {
      const { spec, channel, branch } = event.data;
      return changeProgress(state, spec, (doc) => withoutBranch(doc, channel, branch));
    }
    case 'EvaluationRequested': {
      const { evaluationId: id, spec, checkouts } = event.data;
      // The line as the specification stood when the evaluation was asked for.
      const branches = lineBranchesOf(own(state.specs, spec)?.definition.channels ?? [], checkouts);
      const line = lineIdOf(branches);
      const lastEvaluation = { id, status: 'requested', requestedAt: at } as const;
      const next = changeProgress(withCheckoutsKnown(state, spec, checkouts, at), spec, (doc) => ({
        ...doc,
        lastEvaluation,
        running: { ...doc.running, [id]: { line, jobs: noJobList } },
        lines: { ...doc.lines, [line]: { ...(own(doc.lines, line) ?? { branches }), lastEvaluation } },
      }));
      return next === state ? state : { ...next, runningSpecs: { ...state.runningSpecs, [id]: spec } };
    }
    case 'EvaluationStarted':
      return changeEvaluation(state, event.data.evaluationId, (doc, id) =>
        changeLastEvaluation(doc, id, (last) => ({
          ...last,
          status: 'started',
          startedAt: event.data.startedAt,
        })),
      );
    case 'EvaluationJobsAdded':
      return changeEvaluation(state, event.data.evaluationId, (doc, id) => {
        const running = own(doc.running, id);
        if (!running) return doc;
        const jobs = withJobs(running.jobs, event.data.jobs);
        return { ...doc, running: { ...doc.running, [id]: { ...running, jobs } } };
      });
    case 'EvaluationCompleted':
      return endEvaluation(state, event.data.evaluationId, (doc, id) => {
        const running = own(doc.running, id);
        const ended = end(doc, id, 'completed', at);
        // A line whose branch was deleted while the evaluation ran stays out of the view.
        if (!running || !own(ended.lines, running.line)) return ended;
        const latest = { evaluationId: id, finishedAt: at, jobs: running.jobs };
        const completed = changeLine(ended, running.line, (line) =>
          line.latest ? { ...line, previous: line.latest, latest } : { ...line, latest },
        );
        return { ...completed, latestLine: running.line };
      });
    case 'EvaluationFailed':
    case 'EvaluationAborted': {
      const status = event.type === 'EvaluationFailed' ? 'failed' : 'aborted';
      return endEvaluation(state, event.data.evaluationId, (doc, id) => end(doc, id, status, at));
    }
    default: {
      if (!event.type.startsWith('Build')) return state;
      const build = event as Extract<TallyEvent, { type: `Build${string}` }>;
      const { drvPath } = build.data;
      const before = getIn(state.results, drvPath);
      const status = buildStatusAfter(build, before);
      if (status === undefined || status === before) return state;
      return { ...state, results: setIn(state.results, drvPath, status) };
    }
  }
}

/**
 * The running jobs after a chunk: a name given again keeps its first place and takes the later path.
 * Built with `push` and copied once at the end, so the list kept is exactly as long as it needs.
 */
function withJobs(
  list: JobList,
  jobs: readonly { readonly name: string; readonly drvPath: string }[],
): JobList {
  const next = list.slice();
  const places = new Map<string, number>();
  for (let i = 0; i < next.length; i += 2) places.set(next[i]!, i);
  for (const { name, drvPath } of jobs) {
    const place = places.get(name);
    if (place === undefined) {
      places.set(name, next.length);
      next.push(interned(name), drvPath);
    } else next[place + 1] = drvPath;
  }
  return next.slice();
}

function end(
  doc: SpecProgress,
  id: string,
  status: 'completed' | 'failed' | 'aborted',
  at: string,
): SpecProgress {
  // The line is found through the running evaluation: it is changed before the evaluation leaves.
  const ended = changeLastEvaluation(doc, id, (last) => ({ ...last, status, finishedAt: at }));
  const { [id]: _, ...running } = ended.running;
  return { ...ended, running };
}

/**
 * The state with one specification document replaced by `change(doc)`; the same state when the
 * specification is unknown or `change` returns the document it was given. Plain spreads rather than
 * immer: a draft of the whole state had immer walk and freeze the maps of every derivation's status.
 */
function changeSpec(state: JobsetsState, name: string, change: (doc: SpecDoc) => SpecDoc): JobsetsState {
  const doc = own(state.specs, name);
  if (!doc) return state;
  const next = change(doc);
  return next === doc ? state : { ...state, specs: { ...state.specs, [name]: next } };
}

/** `changeSpec` for a specification's progress (present exactly while the specification is). */
function changeProgress(
  state: JobsetsState,
  name: string,
  change: (doc: SpecProgress) => SpecProgress,
): JobsetsState {
  const doc = getIn(state.progress, name);
  if (!doc) return state;
  const next = change(doc);
  return next === doc ? state : { ...state, progress: setIn(state.progress, name, next) };
}

function changeEvaluation(
  state: JobsetsState,
  id: string,
  change: (doc: SpecProgress, id: string) => SpecProgress,
): JobsetsState {
  const spec = Object.hasOwn(state.runningSpecs, id) ? state.runningSpecs[id] : undefined;
  return spec === undefined ? state : changeProgress(state, spec, (doc) => change(doc, id));
}

/** `changeEvaluation` for the evaluation's last event: it is no longer running. */
function endEvaluation(
  state: JobsetsState,
  id: string,
  change: (doc: SpecProgress, id: string) => SpecProgress,
): JobsetsState {
  if (!Object.hasOwn(state.runningSpecs, id)) return state;
  const next = changeEvaluation(state, id, change);
  const { [id]: _ended, ...runningSpecs } = state.runningSpecs;
  return { ...next, runningSpecs };
}

/**
 * The specification with a last checkout for each channel of an evaluation's checkouts that has none:
 * a specification removed and registered again is evaluated on the heads its name's checkout stream
 * had recorded before, and no `CheckoutDetected` names them again until a new commit. Seen from then.
 */
function withCheckoutsKnown(
  state: JobsetsState,
  spec: string,
  checkouts: readonly Checkout[],
  detectedAt: string,
): JobsetsState {
  const doc = own(state.specs, spec);
  if (!doc || checkouts.every(({ channel }) => own(doc.channels, channel)?.lastCheckout)) return state;
  return changeSpec(state, spec, (before) => {
    const channels = { ...before.channels };
    for (const { channel, commit, branch, commitTime } of checkouts) {
      const known = own(channels, channel) ?? {};
      if (!known.lastCheckout)
        channels[channel] = { ...known, lastCheckout: { commit, branch, commitTime, detectedAt } };
    }
    return { ...before, channels };
  });
}
