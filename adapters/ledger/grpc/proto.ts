/**
 * The message classes and service definitions that `@eventstore/db-client` generated from
 * EventStoreDB's protos. The ledger serves the very definitions the client calls, so the two cannot
 * drift apart. They are CommonJS modules whose exports Node cannot see statically, hence `require`.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const generated = '@eventstore/db-client/generated';

export const streamsPb = require(
  `${generated}/streams_pb.js`,
) as typeof import('@eventstore/db-client/generated/streams_pb.js');
export const streamsGrpc = require(
  `${generated}/streams_grpc_pb.js`,
) as typeof import('@eventstore/db-client/generated/streams_grpc_pb.js');
export const sharedPb = require(
  `${generated}/shared_pb.js`,
) as typeof import('@eventstore/db-client/generated/shared_pb.js');
export const statusPb = require(
  `${generated}/status_pb.js`,
) as typeof import('@eventstore/db-client/generated/status_pb.js');
export const featuresPb = require(
  `${generated}/serverfeatures_pb.js`,
) as typeof import('@eventstore/db-client/generated/serverfeatures_pb.js');
export const featuresGrpc = require(
  `${generated}/serverfeatures_grpc_pb.js`,
) as typeof import('@eventstore/db-client/generated/serverfeatures_grpc_pb.js');
export const anyPb =
  require('google-protobuf/google/protobuf/any_pb.js') as typeof import('google-protobuf/google/protobuf/any_pb.js');
export const emptyPb =
  require('google-protobuf/google/protobuf/empty_pb.js') as typeof import('google-protobuf/google/protobuf/empty_pb.js');

export type ReadReq = import('@eventstore/db-client/generated/streams_pb.js').ReadReq;
export type ReadResp = import('@eventstore/db-client/generated/streams_pb.js').ReadResp;
export type AppendReq = import('@eventstore/db-client/generated/streams_pb.js').AppendReq;
export type AppendResp = import('@eventstore/db-client/generated/streams_pb.js').AppendResp;
export type BatchAppendReq = import('@eventstore/db-client/generated/streams_pb.js').BatchAppendReq;
export type BatchAppendResp = import('@eventstore/db-client/generated/streams_pb.js').BatchAppendResp;
export type DeleteReq = import('@eventstore/db-client/generated/streams_pb.js').DeleteReq;
export type DeleteResp = import('@eventstore/db-client/generated/streams_pb.js').DeleteResp;
export type TombstoneReq = import('@eventstore/db-client/generated/streams_pb.js').TombstoneReq;
export type TombstoneResp = import('@eventstore/db-client/generated/streams_pb.js').TombstoneResp;
export type StreamIdentifier = import('@eventstore/db-client/generated/shared_pb.js').StreamIdentifier;
export type UUID = import('@eventstore/db-client/generated/shared_pb.js').UUID;
