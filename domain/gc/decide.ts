/**
 * Decisions of a collection stream: started once, chunks in order within the policy's byte limit,
 * one end whose totals come from the chunks.
 */
import { DomainError } from '../shared/errors.ts';
import { unreachable } from '../shared/unreachable.ts';
import { utf8Length } from '../shared/utf8-length.ts';
import type { CollectGcPaths, GcCommand, StartGc } from './commands.ts';
import type { GcEvent } from './events.ts';
import type { GcState } from './state.ts';

type Running = Extract<GcState, { status: 'running' }>;

/** The most a chunk's paths may weigh as JSON: 900 KiB, leaving room for the rest under 1 MiB. */
export const maxChunkBytes = 900 * 1024;

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
  // The store refuses an append over 1 MiB: a chunk the collector made too large would fail there,
  // after its paths were deleted.
  const size = utf8Length(JSON.stringify(paths));
  if (size > maxChunkBytes)
    throw new DomainError(
      'TALLY_GC_CHUNK_TOO_LARGE',
      `Chunk ${chunk} of collection ${gcId} is ${size} bytes of paths; at most ${maxChunkBytes}: record fewer paths a chunk`,
    );
  const seen = new Set<string>();
  for (const { path } of paths) {
    if (seen.has(path))
      throw new DomainError(
        'TALLY_GC_PATH_REPEATED',
        `Chunk ${chunk} of collection ${gcId} names ${path} twice`,
      );
    seen.add(path);
  }
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
