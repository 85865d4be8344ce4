/**
 * One webhook delivery against real HTTP servers on 127.0.0.1: how each kind of answer, or none, is
 * told to the notifier.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { postWebhook } from '../../../adapters/notifications/webhook.ts';
import { withTimeout } from '../../helpers/uvu.ts';
import { startReceiver } from './receiver.ts';

const test = suite('webhook delivery');

test(
  'posts the body with its headers and takes a 2xx as delivered',
  withTimeout(10_000, async () => {
    const receiver = await startReceiver([204]);
    try {
      const delivery = await postWebhook(receiver.url, '{"a":1}', { 'x-tally-attempt': '1' }, 5_000);
      assert.equal(delivery, { ok: true, status: 204 });
      assert.is(receiver.requests[0]?.body, '{"a":1}');
      assert.is(receiver.requests[0]?.headers['content-type'], 'application/json');
      assert.is(receiver.requests[0]?.headers['x-tally-attempt'], '1');
    } finally {
      await receiver.close();
    }
  }),
);

test(
  'tells a refusal from an answer that may change',
  withTimeout(10_000, async () => {
    for (const [status, reason] of [
      [404, 'rejected'],
      [400, 'rejected'],
      [503, 'unreachable'],
      [429, 'unreachable'],
    ] as const) {
      const receiver = await startReceiver([status]);
      try {
        const delivery = await postWebhook(receiver.url, '{}', {}, 5_000);
        assert.is(delivery.ok, false, `${status}`);
        if (!delivery.ok) {
          assert.is(delivery.reason, reason, `${status}`);
          assert.match(delivery.detail, `HTTP ${status}: not now`);
        }
      } finally {
        await receiver.close();
      }
    }
  }),
);

test(
  'does not follow a redirect, which would turn the POST into a GET',
  withTimeout(10_000, async () => {
    const server = createServer((_request, response) =>
      response.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end(),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const delivery = await postWebhook(`http://127.0.0.1:${port}/`, '{}', {}, 5_000);
      assert.is(delivery.ok, false);
      if (!delivery.ok) {
        assert.is(delivery.reason, 'rejected');
        assert.match(delivery.detail, 'redirected to http://127.0.0.1:1/elsewhere');
      }
    } finally {
      server.close();
    }
  }),
);

test(
  'reports a receiver that never answers, and one nobody listens for',
  withTimeout(10_000, async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const slow = await postWebhook(`http://127.0.0.1:${port}/`, '{}', {}, 300);
      assert.equal(slow, { ok: false, reason: 'timed-out', detail: 'no answer within 300 ms' });
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
    // The port was just freed: nothing listens there now.
    const closed = await postWebhook(`http://127.0.0.1:${port}/`, '{}', {}, 5_000);
    assert.is(closed.ok, false);
    if (!closed.ok) {
      assert.is(closed.reason, 'unreachable');
      assert.match(closed.detail, 'ECONNREFUSED');
    }
  }),
);

test(
  'keeps only the start of a long refusal, and names a URL it cannot read as misconfigured',
  withTimeout(10_000, async () => {
    const server = createServer((_request, response) => {
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.write('x'.repeat(64 * 1024));
      // The answer never ends: only its start is read, within the timeout.
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const delivery = await postWebhook(`http://127.0.0.1:${port}/`, '{}', {}, 2_000);
      assert.is(delivery.ok, false);
      if (!delivery.ok) {
        assert.is(delivery.reason, 'unreachable');
        assert.ok(delivery.detail.length < 600, `${delivery.detail.length} characters`);
      }
    } finally {
      server.closeAllConnections();
      server.close();
    }
    const bad = await postWebhook('http://host:99999/', '{}', {}, 1_000);
    assert.equal(bad, {
      ok: false,
      reason: 'misconfigured',
      detail: 'http://host:99999/ is not a URL: correct it in the specification',
    });
  }),
);

test.run();
