/**
 * The size of text once encoded as UTF-8, without encoding it: what an event's JSON will weigh
 * against the store's 1 MiB limit.
 */

/** Bytes of `text` once encoded as UTF-8 (JSON output has no lone surrogates: they are escaped). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4;
      index++;
    } else bytes += 3;
  }
  return bytes;
}
