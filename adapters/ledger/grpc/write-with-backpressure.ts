import type { ServerWritableStream } from '@grpc/grpc-js';
import type { ReadReq, ReadResp } from './proto.ts';

type Call = ServerWritableStream<ReadReq, ReadResp>;

/** Resolves when the call's buffer drains or the call goes away, leaving no listener behind. */
function drainedOrGone(call: Call): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off('drain', done);
      call.off('cancelled', done);
      call.off('close', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
    call.on('close', done);
  });
}

/** Writes one response, waiting for the transport to drain when its buffer is full; false if the call is gone. */
export async function send(call: Call, response: ReadResp): Promise<boolean> {
  if (call.cancelled || call.destroyed) return false;
  if (call.write(response)) return true;
  await drainedOrGone(call);
  return !call.cancelled && !call.destroyed;
}
