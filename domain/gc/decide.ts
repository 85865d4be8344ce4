/**
 * Decisions of a collection stream: started once, chunks in order within the policy's byte limit,
 * one end whose totals come from the chunks.
 */
import { DomainError } from '../shared/errors.ts';
import { unreachable } from '../shared/unreachable.ts';
import type { CollectGcPaths, GcCommand, StartGc } from './commands.ts';
import type { GcEvent } from './events.ts';
import type { GcState } from './state.ts';

type Running = Extract<GcState, { status: 'running' }>;

function running(state: GcState, gcId: string): Running {
  if (state.status === 'none')
    throw new DomainError('TALLY_GC_NOT_STARTED', `Collection ${gcId} was never started`);
  if (state.status !== 'running')
    throw new DomainError('TALLY_GC_ALREADY_FINISHED', `Collection ${gcId} has ${state.status}`);
  return state;
}

function start(command: StartGc, state: GcState): GcEvent[] {
  if (state.status !== 'none')
    throw new DomainError('TALLY_GC_ALREADY_EXISTS', `Collection ${command.gcId} exists`);
  return [{ type: 'GcStarted', data: { gcId: command.gcId, policy: command.policy, startedAt: command.at } }];
}

function collect(command: CollectGcPaths, state: GcState): GcEvent[] {
  const { gcId, chunk, paths } = command;
  const current = running(state, gcId);
  if (chunk !== current.nextChunk)
    throw new DomainError(
      'TALLY_GC_CHUNK_OUT_OF_ORDER',
      `Collection ${gcId} expects chunk ${current.nextChunk}, not ${chunk}`,
    );
  const bytes = paths.reduce((sum, path) => sum + path.bytes, 0);
  const limit = current.policy.maxFreedBytes;
  if (limit !== undefined && current.freedBytes + bytes > limit)
    throw new DomainError('TALLY_GC_LIMIT_EXCEEDED', `Chunk ${chunk} would free more than ${limit} bytes`);
  return [{ type: 'GcPathsCollected', data: { gcId, chunk, paths } }];
}

export function decideGc(command: GcCommand, state: GcState): readonly GcEvent[] {
  switch (command.type) {
    case 'StartGc':
      return start(command, state);
    case 'CollectGcPaths':
      return collect(command, state);
    case 'FinishGc': {
      const { gcId, freedBytes, pathCount } = running(state, command.gcId);
      return [{ type: 'GcFinished', data: { gcId, freedBytes, pathCount } }];
    }
    case 'FailGc':
      running(state, command.gcId);
      return [
        { type: 'GcFailed', data: { gcId: command.gcId, reason: command.reason, detail: command.detail } },
      ];
    default:
      return unreachable(command);
  }
}
