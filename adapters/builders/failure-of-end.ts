/**
 * The build failure for how a build process ended, or `undefined` for exit code 0.
 */
import type { BuildResult } from './builder.ts';
import { unreachable } from './builder.ts';
import type { RunEnd } from './run-logged.ts';

export function failureOfEnd(end: RunEnd): Extract<BuildResult, { ok: false }> | undefined {
  switch (end.kind) {
    case 'exited':
      return end.code === 0 ? undefined : { ok: false, reason: 'exit-code', exitCode: end.code };
    case 'signalled':
      return { ok: false, reason: 'signal', signal: end.signal };
    case 'timed-out':
    case 'silent-too-long':
    case 'log-too-large':
    case 'cancelled':
      return { ok: false, reason: end.kind };
    case 'spawn-failed':
      return {
        ok: false,
        reason: 'infrastructure',
        detail: `the builder could not be started: ${end.message}`,
      };
    default:
      return unreachable(end);
  }
}
