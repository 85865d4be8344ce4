/**
 * The bytes of the valid-path log (`valid-log.ts`), pure: how an entry is written and how a run of
 * bytes is read back into entries.
 *
 * The log starts with the line `tally valid-path log 1 <id>` (a random id per file, so a reader
 * tells a rewritten log from the one it read even when the file system reuses the inode), then entries, each a header line and a
 * body whose length the header gives, so a reader finds an entry's end without parsing its body:
 *
 *   A <hash>-<name> <fileHash> <jsonLength> <narLength> <crc32>\n<record JSON><compressed NAR>
 *   R <count> <crc32>\n<hash part × count>
 *
 * `A` makes a path valid: its record (`ValidPathInfo`) and, for a small NAR, the compressed NAR
 * itself (`narLength` 0: the NAR is a file of its own, named by its file hash). `R` makes paths
 * invalid, many at once. Numbers are hexadecimal; the CRC-32 covers the body. An entry cut short by
 * a crash is the last one of the file and is not read; a damaged entry anywhere else is an error.
 */
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

const logMagic = 'tally valid-path log 1 ';

/** The first line of a new log file. */
export function logHeader(): Buffer {
  return Buffer.from(`${logMagic}${randomBytes(8).toString('hex')}\n`, 'latin1');
}

/** Bytes of the first line. */
export const logHeaderLength = logMagic.length + 17;

/** The id in a log's first line, or undefined when it is not a valid-path log of this version. */
export function logId(head: Uint8Array): string | undefined {
  const text = Buffer.from(head).toString('latin1');
  return /^tally valid-path log 1 [0-9a-f]{16}\n$/.test(text) ? text.slice(logMagic.length, -1) : undefined;
}

/**
 * An `A` entry as found in the log: where it is, not its record (read on demand). A store keeps one
 * per valid path in memory, so it holds only what cannot be derived, in strings of their own (not
 * slices of the header line, which would keep the whole line alive).
 */
export class AddedEntry {
  constructor(
    readonly hashPart: string,
    /** The path's name, after its hash part and dash. */
    readonly name: string,
    /** nix32 of the compressed NAR's SHA-256. */
    readonly fileHash: string,
    /** Offset of the entry's header line in the log. */
    readonly offset: number,
    readonly headerLength: number,
    readonly jsonLength: number,
    /** 0 when the NAR is a file of its own. */
    readonly narLength: number,
  ) {}

  get kind(): 'add' {
    return 'add';
  }
  /** `<hash>-<name>` of the path. */
  get baseName(): string {
    return `${this.hashPart}-${this.name}`;
  }
  get jsonOffset(): number {
    return this.offset + this.headerLength;
  }
  get narOffset(): number {
    return this.jsonOffset + this.jsonLength;
  }
  /** Offset just past the entry. */
  get end(): number {
    return this.narOffset + this.narLength;
  }
}

export interface RemovedEntry {
  readonly kind: 'remove';
  readonly hashParts: readonly string[];
  readonly offset: number;
  readonly end: number;
}

export type LogEntry = AddedEntry | RemovedEntry;

const encoder = new TextEncoder();
const hex = (value: number) => value.toString(16);

/** The bytes of an `A` entry for the path `baseName`. */
export function encodeAdd(baseName: string, fileHash: string, recordJson: string, nar?: Uint8Array): Buffer {
  const json = encoder.encode(recordJson);
  const narBytes = nar ?? new Uint8Array(0);
  const body = Buffer.concat([json, narBytes]);
  const header = `A ${baseName} ${fileHash} ${hex(json.length)} ${hex(narBytes.length)} ${hex(crc32(body))}\n`;
  return Buffer.concat([Buffer.from(header, 'latin1'), body]);
}

/** The bytes of an `R` entry for the paths with these hash parts. */
export function encodeRemove(hashParts: readonly string[]): Buffer {
  const body = Buffer.from(hashParts.join(''), 'latin1');
  return Buffer.concat([Buffer.from(`R ${hex(hashParts.length)} ${hex(crc32(body))}\n`, 'latin1'), body]);
}

/** What `parseEntry` found at an offset. */
export type ParsedAt =
  | { readonly status: 'entry'; readonly entry: LogEntry }
  /** The bytes end before the entry does: more may come (or a crash cut it). */
  | { readonly status: 'incomplete' }
  | { readonly status: 'damaged'; readonly detail: string };

const maxHeaderLength = 512;
const hexNumber = /^[0-9a-f]{1,12}$/;

/**
 * The entry whose header starts at `bytes[at]`; `base` is the log offset of `bytes[0]`, so entries
 * carry offsets in the log.
 */
export function parseEntry(bytes: Uint8Array, at: number, base: number): ParsedAt {
  const newline = bytes.indexOf(0x0a, at);
  if (newline < 0) {
    return bytes.length - at > maxHeaderLength
      ? { status: 'damaged', detail: 'a header line with no end' }
      : { status: 'incomplete' };
  }
  const header = Buffer.from(bytes.buffer, bytes.byteOffset + at, newline - at).toString('latin1');
  const fields = header.split(' ');
  const bodyStart = newline + 1;
  const numbers = (texts: string[]) =>
    texts.every((text) => hexNumber.test(text)) ? texts.map((t) => Number.parseInt(t, 16)) : undefined;

  if (fields[0] === 'A' && fields.length === 6 && /^[0-9a-df-np-sv-z]{32}-./.test(fields[1]!)) {
    const parsed = numbers(fields.slice(3));
    if (!parsed) return { status: 'damaged', detail: `a bad header '${header}'` };
    const [jsonLength, narLength, checksum] = parsed as [number, number, number];
    const end = bodyStart + jsonLength + narLength;
    if (end > bytes.length) return { status: 'incomplete' };
    if (crc32(bytes.subarray(bodyStart, end)) !== checksum)
      return { status: 'damaged', detail: 'a checksum mismatch' };
    // Fresh strings from the bytes: 'A <hash>-<name> <fileHash> …'.
    const text = (from: number, length: number) =>
      Buffer.from(bytes.buffer, bytes.byteOffset).toString('latin1', at + from, at + from + length);
    const nameLength = fields[1]!.length - 33;
    return {
      status: 'entry',
      entry: new AddedEntry(
        text(2, 32),
        text(35, nameLength),
        text(36 + nameLength, fields[2]!.length),
        base + at,
        bodyStart - at,
        jsonLength,
        narLength,
      ),
    };
  }
  if (fields[0] === 'R' && fields.length === 3) {
    const parsed = numbers(fields.slice(1));
    if (!parsed) return { status: 'damaged', detail: `a bad header '${header}'` };
    const [count, checksum] = parsed as [number, number];
    const end = bodyStart + count * 32;
    if (end > bytes.length) return { status: 'incomplete' };
    const body = bytes.subarray(bodyStart, end);
    if (crc32(body) !== checksum) return { status: 'damaged', detail: 'a checksum mismatch' };
    const text = Buffer.from(body.buffer, body.byteOffset, body.length).toString('latin1');
    const hashParts = Array.from({ length: count }, (_, index) => text.slice(index * 32, index * 32 + 32));
    return { status: 'entry', entry: { kind: 'remove', hashParts, offset: base + at, end: base + end } };
  }
  return { status: 'damaged', detail: `an unknown header '${header.slice(0, 80)}'` };
}
