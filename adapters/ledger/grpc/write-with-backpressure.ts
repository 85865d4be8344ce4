import { once } from 'node:events';
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { ReadReq, ReadResp } from './proto.ts';

/** Writes one response, waiting for the transport to drain when its buffer is full; false if the call is gone. */
export async function send(
  call: ServerWritableStream<ReadReq, ReadResp>,
  response: ReadResp,
): Promise<boolean> {
  if (call.cancelled || call.destroyed) return false;
  if (call.write(response)) return true;
  await Promise.race([once(call, 'drain'), once(call, 'cancelled'), once(call, 'close')]);
  return !call.cancelled && !call.destroyed;
}
