/**
 * The farm's roots computed by reading every event once, until the read models serve them:
 * specifications (active or not, `keepEvaluations`), completed evaluations in completion order with
 * the outputs of their jobs, and the builds' states as the build aggregate folds them. Unfinished
 * builds keep their `.drv`, its input sources and the outputs it uses of its input derivations (read
 * from the `.drv` files in the store directory; a `.drv` that cannot be read keeps only itself).
 *
 * Cost: one pass over `$all` and memory for every build's state — fine for a farm of thousands of
 * builds, and the reason it is to be replaced by a projection.
 */
import { readFile } from 'node:fs/promises';
import type { BuildEvent, BuildState } from '../../domain/build/index.ts';
import { evolveBuild, initialBuildState, isFinished } from '../../domain/build/index.ts';
import { type Derivation, parseDerivation, storePathBaseName } from '../../domain/derivation/index.ts';
import type { EvaluationEvent } from '../../domain/evaluation/index.ts';
import { parseStreamName } from '../../domain/shared/streams.ts';
import type { SpecificationEvent, SpecificationState } from '../../domain/specification/index.ts';
import { evolveSpecification, initialSpecificationState } from '../../domain/specification/index.ts';
import type { EventStore } from '../eventstore/event-store.ts';
import { decodeRecorded } from '../eventstore/read-domain-event.ts';
import type { GcRootSource } from './root-source.ts';

export interface EventStoreRootsOptions {
  /** Each active specification keeps at least this many evaluations (its own `keepEvaluations` if more). */
  readonly minKeepEvaluations?: number;
}

interface EvaluationRoots {
  readonly spec: string;
  readonly paths: string[];
  completed?: number;
}

async function readDerivation(drvPath: string): Promise<Derivation | undefined> {
  try {
    return parseDerivation(new Uint8Array(await readFile(drvPath)), storePathBaseName(drvPath).slice(33, -4));
  } catch {
    return undefined;
  }
}

/** The `.drv`, its sources and the input derivations' outputs it uses. */
async function buildInputs(drvPath: string): Promise<string[]> {
  const drv = await readDerivation(drvPath);
  if (!drv) return [drvPath];
  const paths = [drvPath, ...drv.inputSrcs, ...[...drv.outputs.values()].map((output) => output.path)];
  for (const [inputPath, outputs] of drv.inputDrvs) {
    paths.push(inputPath);
    const input = await readDerivation(inputPath);
    for (const name of outputs) {
      const path = input?.outputs.get(name)?.path;
      if (path) paths.push(path);
    }
  }
  return paths.filter((path) => path !== '');
}

export function createEventStoreRootSource(
  events: EventStore,
  options: EventStoreRootsOptions = {},
): GcRootSource {
  return {
    async liveRoots() {
      const specs = new Map<string, SpecificationState>();
      const evaluations = new Map<string, EvaluationRoots>();
      const builds = new Map<string, BuildState>();
      let completions = 0;
      for await (const recorded of events.readAll()) {
        const category = parseStreamName(recorded.streamId)?.category;
        if (category !== 'spec' && category !== 'eval' && category !== 'build') continue;
        const parsed = decodeRecorded(recorded);
        if (!parsed.ok) continue; // the projections skip what they cannot read; so does this
        const id = recorded.streamId.slice(category.length + 1);
        if (category === 'spec') {
          const event = parsed.event as SpecificationEvent;
          specs.set(id, evolveSpecification(specs.get(id) ?? initialSpecificationState, event));
        } else if (category === 'build') {
          const event = parsed.event as BuildEvent;
          builds.set(id, evolveBuild(builds.get(id) ?? initialBuildState, event));
        } else {
          const event = parsed.event as EvaluationEvent;
          if (event.type === 'EvaluationRequested') {
            evaluations.set(id, { spec: event.data.spec, paths: [] });
          } else if (event.type === 'EvaluationJobsAdded') {
            const evaluation = evaluations.get(id);
            for (const job of event.data.jobs) {
              evaluation?.paths.push(job.drvPath, ...Object.values(job.outputs));
            }
          } else if (event.type === 'EvaluationCompleted') {
            const evaluation = evaluations.get(id);
            if (evaluation) evaluation.completed = completions++;
          }
        }
      }

      const roots: string[] = [];
      const bySpec = new Map<string, EvaluationRoots[]>();
      for (const evaluation of evaluations.values()) {
        if (evaluation.completed === undefined) continue;
        bySpec.set(evaluation.spec, [...(bySpec.get(evaluation.spec) ?? []), evaluation]);
      }
      for (const [name, state] of specs) {
        if (state.status !== 'active') continue;
        const keep = Math.max(state.spec.keepEvaluations, options.minKeepEvaluations ?? 0);
        const latest = (bySpec.get(name) ?? []).sort((a, b) => b.completed! - a.completed!).slice(0, keep);
        for (const evaluation of latest) roots.push(...evaluation.paths);
      }
      for (const state of builds.values()) {
        if (state.status === 'none' || isFinished(state)) continue;
        roots.push(...(await buildInputs(state.drvPath)));
      }
      return roots;
    },
  };
}
