/**
 * An evaluation's reused builds (`EvaluationBuildsReused`) as the `BuildWanted` events they stand
 * for: one per build, with the evaluation's jobs that want it as its wanters, at the same place in
 * `$all`. Read models that count wanters fold these as they fold a `BuildWanted`, so a build reads
 * the same whichever of the two recorded its wanters.
 */
import type { BuildWanted } from '../../domain/build/events.ts';
import type { EvaluationBuildsReused } from '../../domain/evaluation/events.ts';
import type { ProjectedEvent } from '../runtime/projection.ts';

export function reusedAsWanted(
  projected: ProjectedEvent<EvaluationBuildsReused>,
): ProjectedEvent<BuildWanted>[] {
  const { evaluationId: evaluation, spec, priority, builds } = projected.event.data;
  return builds.map(({ drvPath, jobs }) => {
    const event: BuildWanted = {
      type: 'BuildWanted',
      data: { drvPath, priority, wantedBy: jobs.map((job) => ({ spec, evaluation, job })) },
    };
    return {
      event,
      revision: projected.revision,
      position: projected.position,
      get id() {
        return projected.id;
      },
      get streamId() {
        return projected.streamId;
      },
      get metadata() {
        return projected.metadata;
      },
      get recordedAt() {
        return projected.recordedAt;
      },
    };
  });
}

/**
 * `evolve` of a read model that folds `BuildWanted`, folding an `EvaluationBuildsReused` too: as the
 * `BuildWanted` of each of its builds, one after another.
 */
export function foldingReusedBuilds<S, E extends { readonly type: string }>(
  evolve: (state: S, projected: ProjectedEvent<E>) => S,
): (state: S, projected: ProjectedEvent<E | EvaluationBuildsReused>) => S {
  return (state, projected) =>
    projected.event.type === 'EvaluationBuildsReused'
      ? reusedAsWanted(projected as ProjectedEvent<EvaluationBuildsReused>).reduce(
          (folded, wanted) => evolve(folded, wanted as unknown as ProjectedEvent<E>),
          state,
        )
      : evolve(state, projected as ProjectedEvent<E>);
}
