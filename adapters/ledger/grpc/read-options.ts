/**
 * The `ReadReq` options message, parsed once into a plain description of what the client asked for:
 * which stream (or `$all`), from where, which way, how many or "subscribe", which filter, which id format.
 */
import { LedgerRefusalError } from '../core/errors.ts';
import type { ReadDirection } from '../core/ledger-core.ts';
import type { LogRecord } from '../storage/storage.ts';
import { streamNameOf, type UuidFormat } from './convert.ts';
import type { ReadReq } from './proto.ts';

export type ReadSource =
  | { readonly kind: 'stream'; readonly streamId: string; readonly from: number | 'start' | 'end' }
  | { readonly kind: 'all'; readonly from: number | 'start' | 'end' };

export interface ReadRequest {
  readonly source: ReadSource;
  readonly direction: ReadDirection;
  /** `subscribe` for a catch-up subscription; otherwise the most events to return. */
  readonly count: number | 'subscribe';
  /** Which `$all` events to deliver; absent: all of them. */
  readonly filter?: (record: LogRecord) => boolean;
  /** For filtered subscriptions: send a checkpoint after this many events were looked at. */
  readonly checkpointInterval: number;
  readonly uuidFormat: UuidFormat;
}

/** EventStoreDB's default search window, which the checkpoint multiplier scales. */
const defaultSearchWindow = 32;

function invalid(message: string): never {
  throw new LedgerRefusalError({ kind: 'invalid-argument', message });
}

export function parseReadRequest(request: ReadReq): ReadRequest {
  const options = request.getOptions();
  if (!options) invalid('a read request must carry options');
  let source: ReadSource;
  if (options.hasStream()) {
    const stream = options.getStream()!;
    const streamId = streamNameOf(stream.getStreamIdentifier());
    if (!streamId) invalid('a stream read must name its stream');
    const from = stream.hasRevision() ? Number(stream.getRevision()) : stream.hasEnd() ? 'end' : 'start';
    source = { kind: 'stream', streamId, from };
  } else if (options.hasAll()) {
    const all = options.getAll()!;
    const from = all.hasPosition()
      ? Number(all.getPosition()!.getCommitPosition())
      : all.hasEnd()
        ? 'end'
        : 'start';
    source = { kind: 'all', from };
  } else {
    invalid('a read must name a stream or $all');
  }
  const direction: ReadDirection = options.getReadDirection() === 1 ? 'backwards' : 'forwards';
  const count = options.hasSubscription() ? 'subscribe' : Number(options.getCount());
  if (count !== 'subscribe' && !(Number.isSafeInteger(count) && count >= 0))
    invalid('the read count is not a valid number');
  const uuidFormat: UuidFormat = options.getUuidOption()?.hasStructured() ? 'structured' : 'string';
  const filterOptions = options.hasFilter() ? options.getFilter() : undefined;
  if (!filterOptions)
    return { source, direction, count, uuidFormat, checkpointInterval: Number.POSITIVE_INFINITY };
  const window = filterOptions.hasMax() ? filterOptions.getMax() : defaultSearchWindow;
  const checkpointInterval = Math.max(
    1,
    filterOptions.getCheckpointintervalmultiplier() * Math.max(1, window),
  );
  const onStream = filterOptions.hasStreamIdentifier();
  const expression = onStream ? filterOptions.getStreamIdentifier()! : filterOptions.getEventType();
  if (!expression) invalid('a filter must say what it matches');
  const prefixes = expression.getPrefixList();
  const regexSource = expression.getRegex();
  let regex: RegExp | undefined;
  if (prefixes.length === 0 && regexSource) {
    try {
      regex = new RegExp(regexSource);
    } catch {
      invalid(`the filter's regular expression does not compile: ${regexSource}`);
    }
  }
  const matches = (value: string) =>
    prefixes.length > 0
      ? prefixes.some((prefix) => value.startsWith(prefix))
      : regex
        ? regex.test(value)
        : true;
  const filter = (record: LogRecord) => matches(onStream ? record.streamId : record.type);
  return { source, direction, count, uuidFormat, filter, checkpointInterval };
}
