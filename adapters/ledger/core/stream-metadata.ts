/**
 * Stream metadata as EventStoreDB keeps it: the last `$metadata` event of the `$$<stream>` stream,
 * whose JSON may set `$maxCount`, `$maxAge` (seconds) and `$tb` (truncate before). Reads of the stream
 * hide the events these rule out; the events stay in the log.
 */

/** The parts of stream metadata that change what a read returns. */
export interface StreamMetadata {
  readonly maxCount?: number;
  /** Seconds. */
  readonly maxAge?: number;
  readonly truncateBefore?: number;
}

export const noMetadata: StreamMetadata = {};

export const metadataStreamPrefix = '$$';

export function metadataStreamOf(streamId: string): string {
  return `${metadataStreamPrefix}${streamId}`;
}

export function isMetadataStream(streamId: string): boolean {
  return streamId.startsWith(metadataStreamPrefix);
}

/** EventStoreDB's `$tb` of a soft-deleted stream: the greatest 64-bit integer, as its JSON says it. */
export const deletedStreamTruncateBeforeText = '9223372036854775807';
export const deletedStreamTruncateBefore = Number(deletedStreamTruncateBeforeText);

/** True for the deleted mark (any `$tb` beyond what a revision can reach is taken for it). */
export function isDeletedMark(truncateBefore: unknown): boolean {
  return typeof truncateBefore === 'number' && truncateBefore > Number.MAX_SAFE_INTEGER;
}

/** Parses a `$metadata` event's JSON; malformed metadata is treated as none, as EventStoreDB does. */
export function parseStreamMetadata(data: Uint8Array): StreamMetadata {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return noMetadata;
  }
  if (typeof parsed !== 'object' || parsed === null) return noMetadata;
  const raw = parsed as Record<string, unknown>;
  const pick = (key: string) => {
    const value = raw[key];
    return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
  };
  const metadata: { maxCount?: number; maxAge?: number; truncateBefore?: number } = {};
  const maxCount = pick('$maxCount');
  const maxAge = pick('$maxAge');
  const truncateBefore = pick('$tb');
  if (maxCount !== undefined) metadata.maxCount = maxCount;
  if (maxAge !== undefined) metadata.maxAge = maxAge;
  if (truncateBefore !== undefined) metadata.truncateBefore = truncateBefore;
  return metadata;
}

/**
 * The lowest revision a read may return, given the stream's last revision, its metadata, and for
 * `$maxAge` a way to learn when an event was created; events below it are hidden.
 */
export function firstVisibleRevision(
  lastRevision: number,
  metadata: StreamMetadata,
  createdAt: (revision: number) => number,
  nowMicros: number,
): number {
  let first = 0;
  if (metadata.truncateBefore !== undefined) first = Math.max(first, metadata.truncateBefore);
  if (metadata.maxCount !== undefined) first = Math.max(first, lastRevision - metadata.maxCount + 1);
  if (metadata.maxAge !== undefined) {
    const oldestAllowed = nowMicros - metadata.maxAge * 1_000_000;
    // Events are in creation order, so the first young-enough one is found by binary search.
    let low = first;
    let high = lastRevision + 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (createdAt(middle) < oldestAllowed) low = middle + 1;
      else high = middle;
    }
    first = low;
  }
  return first;
}

/** Metadata as JSON, the deleted mark written exactly (2^63 − 1 is beyond a double's integers). */
export function metadataJson(body: Record<string, unknown>): string {
  if (!isDeletedMark(body.$tb)) return JSON.stringify(body);
  const rest = JSON.stringify({ ...body, $tb: 0 });
  return rest.replace('"$tb":0', `"$tb":${deletedStreamTruncateBeforeText}`);
}

/** The body without its deleted mark. */
export function withoutDeletedMark(body: Record<string, unknown>): Record<string, unknown> {
  const { $tb: _mark, ...rest } = body;
  return rest;
}

/** A metadata body as a JSON object; anything else (not JSON, not an object) as `{}`. */
export function parseObject(data: Uint8Array | undefined): Record<string, unknown> {
  if (!data) return {};
  try {
    const parsed: unknown = JSON.parse(Buffer.from(data).toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
