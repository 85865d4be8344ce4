/**
 * The official client's own ceiling: how fast `@eventstore/db-client` turns a read's response bytes
 * into events when nothing else runs — no server, no network, no stream plumbing. Every read and
 * subscription through the client pays at least this per event, so no server can make the client
 * read faster; the rows that read through the client are shown beside it.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { encodeEventResponse } from '../../../adapters/ledger/grpc/event-encoding.ts';
import type { Baseline } from '../harness/types.ts';
import { buildStream, jobEvent } from '../ledger/events.ts';

const require = createRequire(import.meta.url);

export function measureClientDecodeCeiling(events = 200_000): Baseline {
  const label = 'client decode alone';
  try {
    const { ReadResp } = require('@eventstore/db-client/generated/streams_pb.js');
    const { convertGrpcEvent } = require('@eventstore/db-client/dist/utils/convertGrpcEvent.js');
    const encoder = new TextEncoder();
    const messages = Array.from({ length: 1000 }, (_, index) => {
      const event = jobEvent(1, index);
      return encodeEventResponse(
        {
          position: 1_000_000 + index * 300,
          streamId: buildStream(index),
          revision: index,
          eventId: randomUUID(),
          type: event.type,
          contentType: 'application/json',
          created: Date.now() * 1000,
          data: encoder.encode(JSON.stringify(event.data)),
          metadata: new Uint8Array(),
        },
        'string',
      );
    });
    let checksum = 0;
    const started = performance.now();
    for (let index = 0; index < events; index++) {
      const response = ReadResp.deserializeBinary(messages[index % messages.length]);
      checksum += convertGrpcEvent(response.getEvent()).event.revision > 0n ? 1 : 0;
    }
    const seconds = (performance.now() - started) / 1000;
    if (checksum === 0) throw new Error('decoded nothing');
    return { kind: 'measured', label, figure: { value: events / seconds, unit: 'events/s' } };
  } catch (error) {
    return { kind: 'crashed', label, error: String(error) };
  }
}
