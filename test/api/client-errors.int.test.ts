/**
 * Requests the HTTP parser refuses, or that never arrive in full, over real sockets: each is answered
 * with a problem and a code, and the server goes on answering others.
 */
import { connect } from 'node:net';
import pino from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withTimeout } from '../helpers/uvu.ts';
import { type ApiFixture, startApiFixture } from './api-fixture.ts';

interface Context {
  api: ApiFixture;
  port: number;
}

const test = suite<Context>('requests that never became requests');
/** The server's log lines, as JSON. */
const lines: Array<{ level: number; code?: string; msg: string }> = [];
const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });

test.before(async (context) => {
  context.api = await startApiFixture({ bodyIdleTimeoutMs: 1000, logger });
  await context.api.app.listen({ host: '127.0.0.1', port: 0 });
  context.port = (context.api.app.server.address() as { port: number }).port;
});
test.after(async ({ api }) => api.stop());

/** Writes `bytes` to the server and returns all it answers before closing (at most 10 s). */
function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer within 10 s; got ${answer}`)));
  });
}

function problemOf(answer: string): { status: number; code: string; detail: string; requestId: string } {
  const [head, body] = answer.split('\r\n\r\n', 2) as [string, string];
  assert.match(head, /content-type: application\/problem\+json/i);
  const problem = JSON.parse(body);
  assert.is(Number(head.split(' ')[1]), problem.status);
  return problem;
}

test(
  'answers 408 with a code to a request whose body never arrives in full, and keeps serving',
  withTimeout(15_000, async ({ api, port }) => {
    const half =
      `POST /api/specs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${api.token}\r\n` +
      'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"na';
    const problem = problemOf(await exchange(port, half));
    assert.is(problem.status, 408);
    assert.is(problem.code, 'TALLY_API_REQUEST_TIMEOUT');
    assert.match(problem.requestId, /^[0-9a-f-]{36}$/);
    assert.ok(lines.some((line) => (line as { reqId?: string }).reqId === problem.requestId));
    assert.match(problem.detail, /send it again/);
    const health = await api.app.inject({ url: '/healthz' });
    assert.is(health.statusCode, 200);
  }),
);

test(
  'lets a body that keeps arriving take longer than the idle limit, a byte at a time',
  withTimeout(15_000, async ({ api, port }) => {
    const body = JSON.stringify({
      name: 'trickle',
      channels: [{ name: 'main', url: 'https://example.org/t.git', branch: 'main' }],
      evaluator: { kind: 'native', entry: 'tally.jobs.json' },
      systems: ['x86_64-linux'],
    });
    const head =
      `POST /api/specs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${api.token}\r\nConnection: close\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    const answer = await new Promise<string>((resolve, reject) => {
      let received = '';
      const socket = connect(port, '127.0.0.1', async () => {
        socket.write(head);
        // Eight pieces 300 ms apart: 2.4 s in all, never a second without a byte.
        const pieces = 8;
        const size = Math.ceil(body.length / pieces);
        for (let i = 0; i < pieces; i++) {
          await new Promise((wait) => setTimeout(wait, 300));
          socket.write(body.slice(i * size, (i + 1) * size));
        }
      });
      socket.setEncoding('utf8');
      socket.on('data', (chunk) => {
        received += chunk;
      });
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 201/, answer);
  }),
);

test(
  'answers 431 to headers too large and 400 to bytes that are not HTTP, each with a code',
  withTimeout(15_000, async ({ port }) => {
    const long = `GET /api/specs?x=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const tooLarge = problemOf(await exchange(port, long));
    assert.is(tooLarge.status, 431);
    assert.is(tooLarge.code, 'TALLY_API_HEADERS_TOO_LARGE');
    // Its id, as every problem has, is the one the refusal was logged with.
    assert.match(tooLarge.requestId, /^[0-9a-f-]{36}$/);
    assert.ok(lines.some((line) => (line as { reqId?: string }).reqId === tooLarge.requestId));
    const garbage =
      'POST /api/specs HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n';
    const bad = problemOf(await exchange(port, garbage));
    assert.is(bad.status, 400);
    assert.is(bad.code, 'TALLY_API_BAD_HTTP');
    const fine = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.is(fine.status, 200);
  }),
);

test(
  'logs a client that hangs up half-way through its body as such, not as a failure of the server',
  withTimeout(15_000, async ({ api, port }) => {
    lines.length = 0;
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          `POST /api/specs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${api.token}\r\n` +
            'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"na',
        );
        setTimeout(() => socket.destroy(), 200);
      });
      socket.on('close', () => resolve());
    });
    const deadline = Date.now() + 5000;
    while (!lines.some((line) => line.code === 'TALLY_API_CLIENT_CLOSED') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(
      lines.some((line) => line.code === 'TALLY_API_CLIENT_CLOSED'),
      JSON.stringify(lines.map((line) => [line.level, line.msg])),
    );
    assert.equal(
      lines.filter((line) => line.level >= 50),
      [],
    );
  }),
);

test.run();
