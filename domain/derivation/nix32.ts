/**
 * Nix's base-32: its own alphabet (no e, o, u, t), and the bytes read from the end, so that the
 * printed string is not the RFC 4648 encoding of the same bytes.
 */

export const nix32Alphabet = '0123456789abcdfghijklmnpqrsvwxyz';

/** The length of the Nix base-32 text for `byteLength` bytes. */
export function nix32Length(byteLength: number): number {
  return Math.ceil((byteLength * 8) / 5);
}

export function toNix32(bytes: Uint8Array): string {
  let out = '';
  for (let n = nix32Length(bytes.length) - 1; n >= 0; n--) {
    const bit = n * 5;
    const i = Math.floor(bit / 8);
    const j = bit % 8;
    const low = bytes[i]! >> j;
    const high = i + 1 < bytes.length ? bytes[i + 1]! << (8 - j) : 0;
    out += nix32Alphabet[(low | high) & 0x1f]!;
  }
  return out;
}

/**
 * Decodes Nix base-32 text into `byteLength` bytes, or returns undefined when the text has the wrong
 * length, a character outside the alphabet, or bits set beyond the last byte (as Nix refuses too).
 */
export function fromNix32(text: string, byteLength: number): Uint8Array | undefined {
  if (text.length !== nix32Length(byteLength)) return undefined;
  const out = new Uint8Array(byteLength);
  for (let n = 0; n < text.length; n++) {
    const digit = nix32Alphabet.indexOf(text[text.length - n - 1]!);
    if (digit < 0) return undefined;
    const bit = n * 5;
    const i = Math.floor(bit / 8);
    const j = bit % 8;
    out[i]! |= (digit << j) & 0xff;
    const carry = digit >> (8 - j);
    if (i + 1 < byteLength) out[i + 1]! |= carry;
    else if (carry !== 0) return undefined;
  }
  return out;
}
