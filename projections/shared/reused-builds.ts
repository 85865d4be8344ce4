/**
 * An evaluation's reused builds (`EvaluationBuildsReused`) as the `BuildWanted` events they stand
 * for: one per build, with the evaluation's jobs that want it as its wanters, at the same place in
 * `$all`. Read models that count wanters fold these as they fold a `BuildWanted`, so a build reads
 * the same whichever of the two recorded its wanters.
 */
import type { BuildWanted } from '../../domain/build/events.ts';
import type { EvaluationBuildsReused } from '../../domain/evaluation/events.ts';
import type { ProjectedEvent } from '../runtime/projection.ts';

/**
 * One reused build as a `BuildWanted` at the reused event's place: a class, so that its accessors
 * live on the prototype; object literals with accessors, made tens of thousands of times a replay,
 * cost more than the folds they feed.
 */
class WantedAsReused implements ProjectedEvent<BuildWanted> {
  readonly revision: number;
  readonly position: number;

  constructor(
    readonly event: BuildWanted,
    private readonly reused: ProjectedEvent<EvaluationBuildsReused>,
  ) {
    this.revision = reused.revision;
    this.position = reused.position;
  }

  get id(): string | undefined {
    return this.reused.id;
  }

  get streamId(): string {
    return this.reused.streamId;
  }

  get metadata(): Readonly<Record<string, unknown>> {
    return this.reused.metadata;
  }

  get recordedAt(): Date {
    return this.reused.recordedAt;
  }
}

function reusedAsWanted(projected: ProjectedEvent<EvaluationBuildsReused>): ProjectedEvent<BuildWanted>[] {
  const { evaluationId: evaluation, spec, priority, builds } = projected.event.data;
  return builds.map(({ drvPath, jobs }) => {
    const wantedBy = jobs.map((job) => ({ spec, evaluation, job }));
    return new WantedAsReused({ type: 'BuildWanted', data: { drvPath, priority, wantedBy } }, projected);
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
