/**
 * The lines of a byte stream, without their newlines, as strings. A line may span chunks; a newline
 * byte never occurs inside a multi-byte UTF-8 character, so splitting the bytes before decoding is safe.
 */
import type { Readable } from 'node:stream';

export async function* readLines(stream: Readable): AsyncGenerator<string> {
  let carried: Buffer[] = [];
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      let newline = chunk.indexOf(10);
      while (newline >= 0) {
        if (carried.length > 0) {
          carried.push(chunk.subarray(start, newline));
          yield Buffer.concat(carried).toString('utf8');
          carried = [];
        } else yield chunk.toString('utf8', start, newline);
        start = newline + 1;
        newline = chunk.indexOf(10, start);
      }
      if (start < chunk.length) carried.push(chunk.subarray(start));
    }
    if (carried.length > 0) yield Buffer.concat(carried).toString('utf8');
  } finally {
    stream.destroy();
  }
}
