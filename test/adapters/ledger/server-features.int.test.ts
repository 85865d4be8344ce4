import { createRequire } from 'node:module';
import { credentials } from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { featuresGrpc, sharedPb } from '../../../adapters/ledger/grpc/proto.ts';
import { startTestLedger, type TestLedger } from '../../helpers/ledger.ts';
import { withTimeout } from '../../helpers/uvu.ts';

const require = createRequire(import.meta.url);

const test = suite<{ ledger: TestLedger }>('server features');
test.before(async (context) => {
  context.ledger = await startTestLedger({ memory: true });
});
test.after(async (context) => {
  await context.ledger.stop();
});

test(
  'lists exactly the methods the ledger serves, BatchAppend included',
  withTimeout(5000, async ({ ledger }) => {
    const client = new featuresGrpc.ServerFeaturesClient(
      `127.0.0.1:${ledger.ledger.port}`,
      credentials.createInsecure(),
    );
    const answer = await new Promise<
      import('@eventstore/db-client/generated/serverfeatures_pb.js').SupportedMethods
    >((resolve, reject) =>
      client.getSupportedMethods(new sharedPb.Empty(), (error, value) =>
        error ? reject(error) : resolve(value!),
      ),
    );
    client.close();
    const methods = answer.getMethodsList().map((m) => `${m.getServiceName()}/${m.getMethodName()}`);
    for (const method of ['Read', 'Append', 'BatchAppend', 'Delete', 'Tombstone']) {
      assert.ok(methods.includes(`event_store.client.streams.Streams/${method}`), `${method} is listed`);
    }
    assert.match(answer.getEventStoreServerVersion(), /tally-ledger/);
  }),
);

test(
  'is what the official client uses to pick BatchAppend for appends',
  withTimeout(5000, async ({ ledger }) => {
    const supports = (
      ledger.client as unknown as { supports(method: unknown): Promise<boolean> }
    ).supports.bind(ledger.client);
    const streamsGrpc = require('@eventstore/db-client/generated/streams_grpc_pb.js');
    assert.ok(await supports(streamsGrpc.StreamsService.batchAppend));
  }),
);

test.run();
