/**
 * Folding specification, checkout, evaluation and build events into jobsets. Specification documents
 * change with immer; build events only set one derivation's status, so they stay O(1).
 */
import { produce } from 'immer';
import type { TallyEvent } from '../../domain/events.ts';
import { factTime } from '../builds/fact-time.ts';
import { buildStatusAfter } from '../evaluations/evolve.ts';
import type { ProjectedEvent } from '../runtime/projection.ts';
import { getIn, setIn } from '../shared/persistent-map.ts';
import type { JobsetsState, SpecDoc } from './state.ts';

type Draft<T> = { -readonly [K in keyof T]: T[K] };

export function evolveJobsets(state: JobsetsState, projected: ProjectedEvent<TallyEvent>): JobsetsState {
  const { event } = projected;
  const at = factTime(projected);
  switch (event.type) {
    case 'SpecificationRegistered': {
      const { spec } = event.data;
      const doc: SpecDoc = {
        name: spec.name,
        definition: spec,
        active: spec.active,
        registeredAt: at,
        updatedAt: at,
        channels: {},
        running: {},
      };
      return { ...state, specs: { ...state.specs, [spec.name]: doc } };
    }
    case 'SpecificationUpdated':
      return changeSpec(state, event.data.spec.name, (doc) => {
        doc.definition = event.data.spec;
        doc.updatedAt = at;
      });
    case 'SpecificationDeactivated':
    case 'SpecificationActivated':
      return changeSpec(state, event.data.name, (doc) => {
        doc.active = event.type === 'SpecificationActivated';
        doc.updatedAt = at;
      });
    case 'SpecificationRemoved': {
      if (!state.specs[event.data.name]) return state;
      const { [event.data.name]: _removed, ...specs } = state.specs;
      return { ...state, specs };
    }
    case 'CheckoutDetected': {
      const { spec, channel, branch, commit, commitTime, detectedAt } = event.data;
      return changeSpec(state, spec, (doc) => {
        const before = doc.channels[channel] ?? {};
        doc.channels = {
          ...doc.channels,
          [channel]: { ...before, lastCheckout: { commit, branch, commitTime, detectedAt } },
        };
      });
    }
    case 'PollFailed': {
      const { spec, channel, reason, message } = event.data;
      return changeSpec(state, spec, (doc) => {
        const { recoveredAt: _, ...before } = doc.channels[channel] ?? {};
        doc.channels = {
          ...doc.channels,
          [channel]: { ...before, pollFailure: { reason, message, since: at } },
        };
      });
    }
    case 'PollRecovered': {
      const { spec, channel } = event.data;
      return changeSpec(state, spec, (doc) => {
        const { pollFailure: _, ...before } = doc.channels[channel] ?? {};
        doc.channels = { ...doc.channels, [channel]: { ...before, recoveredAt: at } };
      });
    }
    case 'BranchDeleted':
      return state;
    case 'EvaluationRequested': {
      const { evaluationId: id, spec } = event.data;
      const next = changeSpec(state, spec, (doc) => {
        doc.lastEvaluation = { id, status: 'requested', requestedAt: at };
        doc.running = { ...doc.running, [id]: {} };
      });
      return next === state ? state : { ...next, evaluationSpecs: setIn(state.evaluationSpecs, id, spec) };
    }
    case 'EvaluationStarted':
      return changeEvaluation(state, event.data.evaluationId, (doc, id) => {
        if (doc.lastEvaluation?.id === id)
          doc.lastEvaluation = { ...doc.lastEvaluation, status: 'started', startedAt: event.data.startedAt };
      });
    case 'EvaluationJobsAdded':
      return changeEvaluation(state, event.data.evaluationId, (doc, id) => {
        const jobs: Record<string, string> = { ...doc.running[id] };
        for (const job of event.data.jobs) jobs[job.name] = job.drvPath;
        doc.running = { ...doc.running, [id]: jobs };
      });
    case 'EvaluationCompleted':
      return changeEvaluation(state, event.data.evaluationId, (doc, id) => {
        const jobs = doc.running[id] ?? {};
        end(doc, id, 'completed', at);
        if (doc.latest) doc.previous = doc.latest;
        doc.latest = { evaluationId: id, finishedAt: at, jobs };
      });
    case 'EvaluationFailed':
    case 'EvaluationAborted': {
      const status = event.type === 'EvaluationFailed' ? 'failed' : 'aborted';
      return changeEvaluation(state, event.data.evaluationId, (doc, id) => end(doc, id, status, at));
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

function end(doc: Draft<SpecDoc>, id: string, status: 'completed' | 'failed' | 'aborted', at: string): void {
  const { [id]: _, ...running } = doc.running;
  doc.running = running;
  if (doc.lastEvaluation?.id === id) doc.lastEvaluation = { ...doc.lastEvaluation, status, finishedAt: at };
}

function changeSpec(state: JobsetsState, name: string, change: (doc: Draft<SpecDoc>) => void): JobsetsState {
  if (!state.specs[name]) return state;
  return produce(state, (draft) => {
    change(draft.specs[name] as Draft<SpecDoc>);
  });
}

function changeEvaluation(
  state: JobsetsState,
  id: string,
  change: (doc: Draft<SpecDoc>, id: string) => void,
): JobsetsState {
  const spec = getIn(state.evaluationSpecs, id);
  return spec === undefined ? state : changeSpec(state, spec, (doc) => change(doc, id));
}
