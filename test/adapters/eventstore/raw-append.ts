/**
 * Appends one event byte for byte over EventStoreDB's gRPC protocol, bypassing the client library's
 * JSON encoding, so tests can store what another writer might have: JSON that does not parse, binary
 * metadata. Test fixture only: Tally itself reaches the store through `@eventstore/db-client`.
 */
import { randomUUID } from 'node:crypto';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import { credentials, type ServiceError } from '@grpc/grpc-js';

export interface RawEvent {
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly metadata?: Uint8Array;
}

/** Appends `event` to `stream` (expected revision: any) on the insecure server at `host:port`. */
export function appendRaw(address: string, stream: string, event: RawEvent): Promise<void> {
  const client = new streamsGrpc.StreamsClient(address, credentials.createInsecure());
  const identifier = new sharedPb.StreamIdentifier().setStreamName(new TextEncoder().encode(stream));
  const options = new streamsPb.AppendReq.Options()
    .setStreamIdentifier(identifier)
    .setAny(new sharedPb.Empty());
  const message = new streamsPb.AppendReq.ProposedMessage()
    .setId(new sharedPb.UUID().setString(randomUUID()))
    .setData(event.data)
    .setCustomMetadata(event.metadata ?? new Uint8Array());
  message.getMetadataMap().set('type', event.type).set('content-type', event.contentType);
  return new Promise((resolve, reject) => {
    const call = client.append((error: ServiceError | null, response) => {
      client.close();
      if (error) reject(error);
      else if (!response.hasSuccess()) reject(new Error(`raw append to ${stream} was refused`));
      else resolve();
    });
    call.write(new streamsPb.AppendReq().setOptions(options));
    call.write(new streamsPb.AppendReq().setProposedMessage(message));
    call.end();
  });
}

/** `host:port` of an `esdb://host:port?…` URL. */
export function addressOf(url: string): string {
  const parsed = new URL(url.replace(/^esdb(\+discover)?:/, 'http:'));
  return `${parsed.hostname}:${parsed.port || 2113}`;
}
