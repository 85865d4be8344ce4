/**
 * The NAR parser: push bytes in as they arrive, get `NarEvent`s out. It accepts only canonical NARs
 * (what `nix-store --dump` writes), holds at most one string (a name, a target) in memory, passes
 * file contents through as slices of the pushed chunks, and reports every refusal as a
 * `DerivationError` with a `TALLY_NAR_…` code and the byte offset.
 */
import { compareBytes, decodeUtf8 } from './bytes.ts';
import { DerivationError, type DerivationErrorCode } from './errors.ts';
import {
  defaultMaxDepth,
  maxNameBytes,
  maxTargetBytes,
  type NarEvent,
  type NarPath,
  nameProblem,
  narMagic,
  targetProblem,
} from './nar-events.ts';

/** What the grammar waits for: a number of bytes, or file contents to pass through. */
type Request = { readonly read: number } | { readonly stream: number; readonly path: NarPath };

type Grammar = Generator<Request, void, Uint8Array>;

export interface NarParserOptions {
  /** Deepest directory nesting accepted (default 2048). */
  readonly maxDepth?: number;
}

export interface NarParser {
  /** Feeds the next bytes; returns the events they complete. */
  push(chunk: Uint8Array): NarEvent[];
  /** Declares the input finished; throws `TALLY_NAR_TRUNCATED` if the archive is not complete. */
  end(): void;
  /** Bytes accepted so far. */
  readonly offset: number;
  /** True once the whole archive has been read. */
  readonly done: boolean;
}

const maxTokenBytes = 16;

export function createNarParser(options: NarParserOptions = {}): NarParser {
  const maxDepth = options.maxDepth ?? defaultMaxDepth;
  const pending: Uint8Array[] = [];
  let pendingLength = 0;
  let offset = 0;
  let events: NarEvent[] = [];
  let finished = false;
  let failure: DerivationError | undefined;

  const fail = (code: DerivationErrorCode, message: string, at = offset): never => {
    throw new DerivationError(code, `bad archive: ${message}`, at);
  };

  function* readBytes(count: number): Generator<Request, Uint8Array, Uint8Array> {
    return count === 0 ? new Uint8Array(0) : yield { read: count };
  }

  function* readLength(
    what: string,
    limit: number,
    code: DerivationErrorCode,
  ): Generator<Request, number, Uint8Array> {
    const at = offset;
    const bytes = yield* readBytes(8);
    const value = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
    if (value > BigInt(limit)) fail(code, `${what} of ${value} bytes is longer than ${limit}`, at);
    return Number(value);
  }

  function* readPadding(length: number): Generator<Request, void, Uint8Array> {
    const at = offset;
    const pad = yield* readBytes((8 - (length % 8)) % 8);
    if (pad.some((byte) => byte !== 0)) fail('TALLY_NAR_BAD_PADDING', 'non-zero padding', at);
  }

  function* readString(
    what: string,
    limit: number,
    code: DerivationErrorCode,
  ): Generator<Request, Uint8Array, Uint8Array> {
    const length = yield* readLength(what, limit, code);
    const bytes = yield* readBytes(length);
    yield* readPadding(length);
    return bytes;
  }

  function* readToken(): Generator<Request, string, Uint8Array> {
    const bytes = yield* readString('a token', maxTokenBytes, 'TALLY_NAR_UNKNOWN_TOKEN');
    return String.fromCharCode(...bytes);
  }

  function* expectToken(expected: string): Generator<Request, void, Uint8Array> {
    const at = offset;
    const token = yield* readToken();
    if (token !== expected) fail('TALLY_NAR_UNKNOWN_TOKEN', `expected '${expected}', found '${token}'`, at);
  }

  function* readNode(path: NarPath): Generator<Request, boolean, Uint8Array> {
    yield* expectToken('(');
    yield* expectToken('type');
    const at = offset;
    const type = yield* readToken();
    if (type === 'directory') {
      events.push({ type: 'directory', path });
      return true;
    }
    if (type === 'symlink') {
      yield* expectToken('target');
      const targetAt = offset;
      const target = yield* readString('a symlink target', maxTargetBytes, 'TALLY_NAR_BAD_TARGET');
      const problem = targetProblem(target);
      if (problem) fail('TALLY_NAR_BAD_TARGET', problem, targetAt);
      events.push({ type: 'symlink', path, target: decodeUtf8(target)! });
    } else if (type === 'regular') {
      const tokenAt = offset;
      let token = yield* readToken();
      const executable = token === 'executable';
      if (executable) {
        const markerAt = offset;
        const marker = yield* readString('the executable marker', 0, 'TALLY_NAR_UNKNOWN_TOKEN');
        if (marker.length !== 0) fail('TALLY_NAR_UNKNOWN_TOKEN', 'executable marker is not empty', markerAt);
        token = yield* readToken();
      }
      if (token !== 'contents')
        fail('TALLY_NAR_UNKNOWN_TOKEN', `expected 'contents', found '${token}'`, tokenAt);
      const size = yield* readLength('a file', Number.MAX_SAFE_INTEGER, 'TALLY_NAR_TOO_LARGE');
      events.push({ type: 'file', path, executable, size });
      if (size > 0) yield { stream: size, path };
      yield* readPadding(size);
    } else {
      fail('TALLY_NAR_UNKNOWN_TOKEN', `unknown file type '${type}'`, at);
    }
    yield* expectToken(')');
    return false;
  }

  function* grammar(): Grammar {
    const magicAt = offset;
    const length = yield* readLength('the magic string', maxTokenBytes, 'TALLY_NAR_NOT_A_NAR');
    const magic = String.fromCharCode(...(yield* readBytes(length)));
    if (magic !== narMagic) fail('TALLY_NAR_NOT_A_NAR', "input doesn't look like a Nix archive", magicAt);
    yield* readPadding(length);
    const stack: Array<{ path: NarPath; last?: Uint8Array }> = [];
    let path: NarPath = [];
    for (;;) {
      const isDirectory = yield* readNode(path);
      if (isDirectory) stack.push({ path });
      let closed = !isDirectory;
      for (;;) {
        if (closed) {
          if (stack.length === 0) return;
          yield* expectToken(')');
        }
        const frame = stack[stack.length - 1]!;
        const at = offset;
        const token = yield* readToken();
        if (token === ')') {
          events.push({ type: 'directory-end', path: frame.path });
          stack.pop();
          if (stack.length === 0) return;
          closed = true;
          continue;
        }
        if (token !== 'entry')
          fail('TALLY_NAR_UNKNOWN_TOKEN', `expected 'entry' or ')', found '${token}'`, at);
        yield* expectToken('(');
        yield* expectToken('name');
        const nameAt = offset;
        const name = yield* readString('a name', maxNameBytes, 'TALLY_NAR_BAD_NAME');
        const problem = nameProblem(name);
        if (problem) fail('TALLY_NAR_BAD_NAME', `invalid entry: ${problem}`, nameAt);
        if (frame.last) {
          const order = compareBytes(frame.last, name);
          if (order === 0) fail('TALLY_NAR_DUPLICATE', `duplicate entry '${decodeUtf8(name)}'`, nameAt);
          if (order > 0) fail('TALLY_NAR_UNSORTED', `'${decodeUtf8(name)}' is out of order`, nameAt);
        }
        frame.last = name;
        yield* expectToken('node');
        if (stack.length >= maxDepth)
          fail('TALLY_NAR_TOO_DEEP', `directories nested deeper than ${maxDepth}`, at);
        path = [...frame.path, decodeUtf8(name)!];
        break;
      }
    }
  }

  const machine = grammar();
  let request: Request | undefined;

  const take = (count: number): Uint8Array => {
    const head = pending[0]!;
    if (head.length >= count) {
      const out = head.subarray(0, count);
      if (head.length === count) pending.shift();
      else pending[0] = head.subarray(count);
      pendingLength -= count;
      offset += count;
      return out;
    }
    const out = new Uint8Array(count);
    let filled = 0;
    while (filled < count) {
      const part = pending[0]!;
      const used = Math.min(part.length, count - filled);
      out.set(part.subarray(0, used), filled);
      filled += used;
      if (used === part.length) pending.shift();
      else pending[0] = part.subarray(used);
    }
    pendingLength -= count;
    offset += count;
    return out;
  };

  const resume = (value: Uint8Array): void => {
    const step = machine.next(value);
    if (step.done) {
      finished = true;
      request = undefined;
    } else {
      request = step.value;
    }
  };

  const pump = (): void => {
    while (!finished && request) {
      if ('read' in request) {
        if (pendingLength < request.read) return;
        resume(take(request.read));
        continue;
      }
      if (pendingLength === 0) return;
      const { stream: remaining, path } = request;
      const chunk = take(Math.min(remaining, pending[0]!.length));
      events.push({ type: 'contents', path, chunk });
      if (chunk.length === remaining) resume(new Uint8Array(0));
      else request = { stream: remaining - chunk.length, path };
    }
    if (finished && pendingLength > 0) fail('TALLY_NAR_TRAILING_DATA', 'bytes after the end of the archive');
  };

  const guarded = <T>(work: () => T): T => {
    if (failure) throw failure;
    try {
      return work();
    } catch (error) {
      failure =
        error instanceof DerivationError
          ? error
          : new DerivationError('TALLY_NAR_UNKNOWN_TOKEN', `bad archive: ${String(error)}`, offset);
      throw failure;
    }
  };

  guarded(() => resume(new Uint8Array(0)));

  return {
    push(chunk) {
      return guarded(() => {
        if (chunk.length > 0) {
          pending.push(chunk);
          pendingLength += chunk.length;
        }
        pump();
        const out = events;
        events = [];
        return out;
      });
    },
    end() {
      guarded(() => {
        if (!finished) fail('TALLY_NAR_TRUNCATED', 'the archive ends too early', offset + pendingLength);
      });
    },
    get offset() {
      return offset;
    },
    get done() {
      return finished;
    },
  };
}

/** Parses a stream of chunks into a stream of events. */
export async function* parseNar(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: NarParserOptions = {},
): AsyncGenerator<NarEvent> {
  const parser = createNarParser(options);
  for await (const chunk of chunks) yield* parser.push(chunk);
  parser.end();
}

/** Parses a whole NAR held in memory. */
export function parseNarBytes(bytes: Uint8Array, options: NarParserOptions = {}): NarEvent[] {
  const parser = createNarParser(options);
  const events = parser.push(bytes);
  parser.end();
  return events;
}
