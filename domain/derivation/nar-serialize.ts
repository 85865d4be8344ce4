/**
 * The NAR serializer: a state machine fed `NarEvent`s that returns the bytes to write for each, and
 * refuses events that do not describe one well-formed tree (unsorted or bad names, contents that do
 * not add up to the announced size). File contents pass through without being copied.
 */
import { concatBytes, utf8 } from './bytes.ts';
import { DerivationError, type DerivationErrorCode } from './errors.ts';
import {
  compareNarNames,
  type NarEvent,
  type NarPath,
  nameProblem,
  narMagic,
  targetProblem,
} from './nar-events.ts';

const zeros = new Uint8Array(8);

export function padding(length: number): Uint8Array {
  return zeros.subarray(0, (8 - (length % 8)) % 8);
}

export function encodeLength(length: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(length), true);
  return out;
}

/** One NAR string: length, bytes, padding. */
export function encodeString(value: string | Uint8Array): Uint8Array {
  const bytes = typeof value === 'string' ? utf8(value) : value;
  return concatBytes([encodeLength(bytes.length), bytes, padding(bytes.length)]);
}

const tokens = (...values: string[]) => concatBytes(values.map((value) => encodeString(value)));
const close = tokens(')');

interface Directory {
  readonly path: NarPath;
  last?: string;
}

interface OpenFile {
  readonly path: NarPath;
  readonly size: number;
  written: number;
}

export interface NarSerializer {
  /** The bytes that `event` adds to the archive, in order. */
  write(event: NarEvent): Uint8Array[];
  /** Checks that the archive is complete. */
  end(): void;
  /** Bytes produced so far. */
  readonly size: number;
}

const samePath = (a: NarPath, b: NarPath) => a.length === b.length && a.every((name, i) => name === b[i]);

export function createNarSerializer(): NarSerializer {
  const stack: Directory[] = [];
  let file: OpenFile | undefined;
  let started = false;
  let done = false;
  let size = 0;

  const fail = (code: DerivationErrorCode, message: string): never => {
    throw new DerivationError(code, message, size);
  };

  const emit = (parts: Uint8Array[]): Uint8Array[] => {
    for (const part of parts) size += part.length;
    return parts;
  };

  /** Closing bytes of a finished node: `)`, and the `)` of its entry unless it is the root. */
  const finishNode = (path: NarPath): Uint8Array[] => {
    if (path.length === 0) done = true;
    return path.length === 0 ? [close] : [close, close];
  };

  const openNode = (path: NarPath): Uint8Array[] => {
    if (done) fail('TALLY_NAR_BAD_EVENT', 'an event after the end of the archive');
    if (!started) {
      started = true;
      if (path.length !== 0) fail('TALLY_NAR_BAD_EVENT', 'the first event must be the root (path [])');
      return [encodeString(narMagic)];
    }
    const parent = stack[stack.length - 1];
    if (!parent || path.length !== parent.path.length + 1 || !samePath(path.slice(0, -1), parent.path)) {
      return fail('TALLY_NAR_BAD_EVENT', `'${path.join('/')}' is not an entry of the open directory`);
    }
    const name = path[path.length - 1]!;
    const problem = nameProblem(utf8(name));
    if (problem) fail('TALLY_NAR_BAD_NAME', `cannot archive ${problem}: '${path.join('/')}'`);
    if (parent.last !== undefined) {
      const order = compareNarNames(parent.last, name);
      if (order === 0) fail('TALLY_NAR_DUPLICATE', `'${path.join('/')}' appears twice`);
      if (order > 0) fail('TALLY_NAR_UNSORTED', `'${name}' comes after '${parent.last}'`);
    }
    parent.last = name;
    return [tokens('entry', '(', 'name', name, 'node')];
  };

  const write = (event: NarEvent): Uint8Array[] => {
    if (file) {
      if (event.type !== 'contents' || !samePath(event.path, file.path)) {
        return fail(
          'TALLY_NAR_BAD_EVENT',
          `'${file.path.join('/')}' ended after ${file.written} of ${file.size} bytes`,
        );
      }
      file.written += event.chunk.length;
      if (file.written > file.size) {
        fail('TALLY_NAR_BAD_EVENT', `'${file.path.join('/')}' has more than its ${file.size} bytes`);
      }
      if (file.written < file.size) return emit([event.chunk]);
      const { path, size: fileSize } = file;
      file = undefined;
      return emit([event.chunk, padding(fileSize), ...finishNode(path)]);
    }
    switch (event.type) {
      case 'directory': {
        const head = openNode(event.path);
        stack.push({ path: event.path });
        return emit([...head, tokens('(', 'type', 'directory')]);
      }
      case 'directory-end': {
        const top = stack[stack.length - 1];
        if (!top || !samePath(top.path, event.path)) {
          return fail('TALLY_NAR_BAD_EVENT', `'${event.path.join('/')}' is not the open directory`);
        }
        stack.pop();
        return emit(finishNode(event.path));
      }
      case 'symlink': {
        const head = openNode(event.path);
        const problem = targetProblem(utf8(event.target));
        if (problem) fail('TALLY_NAR_BAD_TARGET', `cannot archive ${problem}: '${event.path.join('/')}'`);
        return emit([
          ...head,
          tokens('(', 'type', 'symlink', 'target', event.target),
          ...finishNode(event.path),
        ]);
      }
      case 'file': {
        if (!Number.isSafeInteger(event.size) || event.size < 0) {
          fail('TALLY_NAR_TOO_LARGE', `'${event.path.join('/')}' has an invalid size ${event.size}`);
        }
        const head = [
          ...openNode(event.path),
          tokens('(', 'type', 'regular', ...(event.executable ? ['executable', ''] : []), 'contents'),
          encodeLength(event.size),
        ];
        if (event.size > 0) {
          file = { path: event.path, size: event.size, written: 0 };
          return emit(head);
        }
        return emit([...head, ...finishNode(event.path)]);
      }
      case 'contents':
        return fail('TALLY_NAR_BAD_EVENT', `contents for '${event.path.join('/')}' outside a file`);
      default:
        return unreachable(event);
    }
  };

  return {
    write,
    end() {
      if (!done) fail('TALLY_NAR_BAD_EVENT', 'the events ended before the archive was complete');
    },
    get size() {
      return size;
    },
  };
}

function unreachable(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}

/** Serializes a stream of events into a stream of NAR chunks. */
export async function* serializeNar(
  events: AsyncIterable<NarEvent> | Iterable<NarEvent>,
): AsyncGenerator<Uint8Array> {
  const serializer = createNarSerializer();
  for await (const event of events) yield* serializer.write(event);
  serializer.end();
}

/** The whole NAR of a small tree, in memory (tests, `.drv`-sized data). */
export function narBytes(events: Iterable<NarEvent>): Uint8Array {
  const serializer = createNarSerializer();
  const parts: Uint8Array[] = [];
  for (const event of events) parts.push(...serializer.write(event));
  serializer.end();
  return concatBytes(parts);
}
