/**
 * The event-store contract against an external EventStoreDB or KurrentDB, when `TALLY_TEST_ESDB_URL`
 * names one (e.g. `esdb://127.0.0.1:2113?tls=false` for a node started with `--insecure`).
 * Without it the file says so in one test that logs the skip and passes, so a CI log shows what did not
 * run. (No `suite.skip`: uvu leaves skipped tests out of its Total, and test/run.ts would count -1 failed.)
 */
import { suite } from 'uvu';
import { esdbFixture } from './esdb-fixture.ts';
import { eventStoreContract } from './event-store.contract.ts';

const url = process.env.TALLY_TEST_ESDB_URL;

if (url) {
  eventStoreContract(`esdb adapter on ${url}`, async () => esdbFixture(url));
} else {
  const external = suite('esdb adapter on an external EventStoreDB');
  external('is not run: TALLY_TEST_ESDB_URL is not set', () => {
    console.log(
      'skipped: TALLY_TEST_ESDB_URL not set (point it at an insecure EventStoreDB to run the contract)',
    );
  });
  external.run();
}
