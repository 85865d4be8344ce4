/** The request log: one line per request, written when the response is sent, with its request id. */
import { Writable } from 'node:stream';
import pino from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withTimeout } from '../helpers/uvu.ts';
import { type ApiFixture, type Json, startApiFixture } from './api-fixture.ts';

interface Context {
  api: ApiFixture;
  lines: Json[];
}

const test = suite<Context>('request log');
test.before(async (context) => {
  context.lines = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean))
        context.lines.push(JSON.parse(line) as Json);
      done();
    },
  });
  context.api = await startApiFixture({ logger: pino({ level: 'info' }, sink) });
});
test.after(async ({ api }) => api.stop());

test(
  'logs each request once, on completion, with method, url, status, time and request id',
  withTimeout(10_000, async ({ api, lines }) => {
    const before = lines.length;
    const found = await api.app.inject({ method: 'GET', url: '/healthz' });
    const missing = await api.app.inject({ method: 'GET', url: '/api/nothing-here?x=1' });
    const logged = lines.slice(before).filter((line) => line.msg === 'request completed');
    assert.is(lines.slice(before).filter((line) => line.msg === 'incoming request').length, 0);
    assert.equal(
      logged.map((line) => [line.method, line.url, line.statusCode, line.reqId]),
      [
        ['GET', '/healthz', found.statusCode, found.headers['x-request-id']],
        ['GET', '/api/nothing-here?x=1', 404, missing.headers['x-request-id']],
      ],
    );
    for (const line of logged) assert.type(line.responseTime, 'number');
  }),
);

test.run();
