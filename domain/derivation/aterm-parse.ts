/**
 * Reads a `.drv` file: `Derive([outputs],[inputDrvs],[inputSrcs],"system","builder",[args],[env])`.
 * Stricter than Nix where Nix is lax by accident (no stray commas, no trailing bytes, no duplicate
 * keys, UTF-8 only); everything it refuses is a `TALLY_DRV_PARSE` error with the byte offset. One pass
 * over the bytes, no recursion: a hostile file cannot make it hang or overflow the stack.
 */
import { decodeUtf8 } from './bytes.ts';
import type { Derivation, DerivationOutput } from './derivation.ts';
import { DerivationError } from './errors.ts';

const quote = 0x22;
const backslash = 0x5c;
const unescapes = new Map([
  [0x6e, 0x0a],
  [0x72, 0x0d],
  [0x74, 0x09],
]);

class Reader {
  at = 0;
  constructor(private readonly bytes: Uint8Array) {}

  fail(message: string, at = this.at): never {
    throw new DerivationError('TALLY_DRV_PARSE', `bad derivation: ${message}`, at);
  }

  expect(literal: string): void {
    for (let i = 0; i < literal.length; i++) {
      if (this.bytes[this.at] !== literal.charCodeAt(i)) {
        this.fail(
          this.at >= this.bytes.length ? `ended where '${literal}' was expected` : `expected '${literal}'`,
        );
      }
      this.at++;
    }
  }

  /** True (and consumed) at `]`; consumes the `,` between elements. */
  endOfList(first: boolean): boolean {
    if (this.bytes[this.at] === 0x5d) {
      this.at++;
      return true;
    }
    if (!first) this.expect(',');
    return false;
  }

  string(): string {
    const start = this.at;
    this.expect('"');
    const out: number[] = [];
    for (;;) {
      const byte = this.bytes[this.at++];
      if (byte === undefined) this.fail('unterminated string', start);
      if (byte === quote) break;
      if (byte === backslash) {
        const next = this.bytes[this.at++];
        if (next === undefined) this.fail('unterminated string', start);
        out.push(unescapes.get(next) ?? next);
      } else {
        out.push(byte);
      }
    }
    const text = decodeUtf8(Uint8Array.from(out));
    if (text === undefined) this.fail('string is not valid UTF-8', start);
    return text;
  }

  path(): string {
    const start = this.at;
    const path = this.string();
    if (!path.startsWith('/')) this.fail(`bad path '${path}'`, start);
    return path;
  }

  strings(read: () => string): string[] {
    this.expect('[');
    const out: string[] = [];
    while (!this.endOfList(out.length === 0)) out.push(read());
    return out;
  }

  end(): void {
    if (this.at !== this.bytes.length) this.fail('unexpected bytes after the derivation');
  }
}

function addUnique<V>(map: Map<string, V>, key: string, value: V, reader: Reader, at: number, what: string) {
  if (map.has(key)) reader.fail(`duplicate ${what} '${key}'`, at);
  map.set(key, value);
}

/** Parses the bytes (or text) of a `.drv` file; `name` is the derivation name, from the file name. */
export function parseDerivation(input: Uint8Array | string, name: string): Derivation {
  const reader = new Reader(typeof input === 'string' ? new TextEncoder().encode(input) : input);
  reader.expect('Derive([');
  const outputs = new Map<string, DerivationOutput>();
  while (!reader.endOfList(outputs.size === 0)) {
    reader.expect('(');
    const at = reader.at;
    const id = reader.string();
    reader.expect(',');
    const path = reader.string();
    reader.expect(',');
    const hashAlgo = reader.string();
    reader.expect(',');
    const hash = reader.string();
    reader.expect(')');
    if (path !== '' && !path.startsWith('/')) reader.fail(`bad output path '${path}'`, at);
    addUnique(outputs, id, { path, hashAlgo, hash }, reader, at, 'output');
  }
  reader.expect(',[');
  const inputDrvs = new Map<string, readonly string[]>();
  while (!reader.endOfList(inputDrvs.size === 0)) {
    reader.expect('(');
    const at = reader.at;
    const path = reader.path();
    reader.expect(',');
    const names = reader.strings(() => reader.string());
    reader.expect(')');
    if (new Set(names).size !== names.length) reader.fail(`duplicate output name for '${path}'`, at);
    addUnique(inputDrvs, path, names, reader, at, 'input derivation');
  }
  reader.expect(',');
  const inputSrcs = reader.strings(() => reader.path());
  if (new Set(inputSrcs).size !== inputSrcs.length) reader.fail('duplicate input source');
  reader.expect(',');
  const system = reader.string();
  reader.expect(',');
  const builder = reader.string();
  reader.expect(',');
  const args = reader.strings(() => reader.string());
  reader.expect(',[');
  const env = new Map<string, string>();
  while (!reader.endOfList(env.size === 0)) {
    reader.expect('(');
    const at = reader.at;
    const key = reader.string();
    reader.expect(',');
    const value = reader.string();
    reader.expect(')');
    addUnique(env, key, value, reader, at, 'environment variable');
  }
  reader.expect(')');
  reader.end();
  return { name, outputs, inputDrvs, inputSrcs, system, builder, args, env };
}
