/**
 * `ServerFeatures.GetSupportedMethods`: the client asks this on connect and picks its code paths from
 * the answer (BatchAppend for appends, when offered). The ledger lists exactly what it serves.
 */
import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { featuresPb } from './proto.ts';

const served: ReadonlyArray<{ service: string; method: string; features?: string[] }> = [
  { service: 'event_store.client.streams.Streams', method: 'Read', features: ['position', 'events'] },
  { service: 'event_store.client.streams.Streams', method: 'Append' },
  { service: 'event_store.client.streams.Streams', method: 'BatchAppend' },
  { service: 'event_store.client.streams.Streams', method: 'Delete' },
  { service: 'event_store.client.streams.Streams', method: 'Tombstone' },
  { service: 'event_store.client.server_features.ServerFeatures', method: 'GetSupportedMethods' },
];

type SupportedMethods = import('@eventstore/db-client/generated/serverfeatures_pb.js').SupportedMethods;

export function createServerFeaturesHandler(version: string) {
  return (_call: ServerUnaryCall<unknown, SupportedMethods>, callback: sendUnaryData<SupportedMethods>) => {
    const answer = new featuresPb.SupportedMethods().setEventStoreServerVersion(version);
    for (const { service, method, features } of served) {
      const entry = new featuresPb.SupportedMethod().setServiceName(service).setMethodName(method);
      if (features) entry.setFeaturesList(features);
      answer.addMethods(entry);
    }
    callback(null, answer);
  };
}
