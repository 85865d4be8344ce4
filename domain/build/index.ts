/**
 * The build aggregate: the realisation of one derivation, its attempts and its one outcome.
 */
import type { Decider } from '../shared/decider.ts';
import type { BuildCommand } from './commands.ts';
import { decideBuild } from './decide.ts';

export { wantExisting } from './decide.ts';

import type { BuildEvent } from './events.ts';
import { type BuildState, evolveBuild, initialBuildState } from './state.ts';

export * from './build.ts';
export * from './commands.ts';
export * from './events.ts';
export * from './schemas.ts';
export * from './state.ts';

/** The build decider. */
export const buildDecider: Decider<BuildCommand, BuildEvent, BuildState> = {
  initialState: initialBuildState,
  evolve: evolveBuild,
  decide: decideBuild,
};
