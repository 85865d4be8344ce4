/**
 * The webhook and poll routes in-process over a real ledger and a real poller on a real repository:
 * a hook is refused without a secret (saying how to make one), with a bad signature or a body that is
 * not a JSON object; a signed push answers 202 and polls with the forge as trigger; the poll route
 * needs a token and answers what the poll found.
 */
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import pino from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createPoller, type Poller, type PollOutcome } from '../../../adapters/pipeline/poller/index.ts';
import { hookRoutes, openHookSecrets } from '../../../api/routes/hooks/index.ts';
import type { HookSecrets } from '../../../api/routes/hooks/secrets.ts';
import type { Trigger } from '../../../domain/evaluation/job.ts';
import { streams } from '../../../domain/shared/streams.ts';
import { makeRepo } from '../../adapters/git/git-fixture.ts';
import { specification } from '../../adapters/pipeline/poller/poller-fixture.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';
import { type ApiFixture, type Json, startApiFixture } from '../api-fixture.ts';

interface Call {
  readonly spec: string;
  readonly trigger: Trigger | undefined;
  readonly outcome: Promise<PollOutcome>;
}

interface Context {
  api: ApiFixture;
  calls: Call[];
  secrets: HookSecrets;
  repo: string;
  cleanup: () => Promise<void>;
}

const test = suite<Context>('webhooks and the poll route');

test.before(async (context) => {
  const dir = await tempDir('tally-hooks-');
  context.cleanup = dir.cleanup;
  context.repo = makeRepo(join(dir.path, 'repo'));
  context.secrets = openHookSecrets(join(dir.path, 'secrets'));
  context.calls = [];
  const specs = [
    specification('hooked', [{ name: 'src', url: context.repo, branch: 'main' }]),
    specification('asleep', [{ name: 'src', url: context.repo, branch: 'main' }], { active: false }),
    specification('manual', [{ name: 'src', url: context.repo, branch: 'main' }]),
  ];
  let poller: Poller | undefined;
  const recording = {
    pollNow(spec: string, trigger?: Trigger) {
      if (!poller) throw new Error('the poller is not made yet');
      const outcome = poller.pollNow(spec, trigger);
      outcome.catch(() => {});
      context.calls.push({ spec, trigger, outcome });
      return outcome;
    },
  };
  context.api = await startApiFixture({
    authExemptPrefixes: ['/api/hooks/'],
    routes: (app) => {
      app.register(hookRoutes, { poller: recording, secrets: context.secrets });
    },
  });
  poller = createPoller({
    eventStore: context.api.store,
    dataDir: join(dir.path, 'data'),
    logger: pino({ level: 'silent' }),
    listSpecs: () => specs,
    fetchTimeoutMs: 20_000,
    minIntervalMs: 0,
  });
});

test.after(async (context) => {
  await Promise.allSettled(context.calls.map((call) => call.outcome));
  await context.api.stop();
  await context.cleanup();
});

const hmac = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');

function hook(api: ApiFixture, spec: string, body: string, headers: Record<string, string> = {}) {
  return api.app.inject({
    method: 'POST',
    url: `/api/hooks/${spec}`,
    headers: { 'content-type': 'application/json', ...headers },
    payload: body,
  });
}

const push = JSON.stringify({ ref: 'refs/heads/main', after: 'x' });

test(
  'refuses a hook for a specification without a secret, saying how to make one',
  withTimeout(20_000, async ({ api, calls }) => {
    const response = await hook(api, 'hooked', push, { 'x-gitlab-token': 'anything' });
    assert.is(response.statusCode, 403);
    const problem = response.json() as Json;
    assert.is(problem.code, 'TALLY_HOOK_NO_SECRET');
    assert.match(String(problem.detail), /`tally hook secret hooked`/);
    assert.is(calls.length, 0);
  }),
);

test(
  'refuses a hook whose signature is wrong or missing',
  withTimeout(20_000, async ({ api, calls, secrets }) => {
    const secret = await secrets.create('hooked');
    const other = hmac('not-the-secret', push);
    const attempts: Record<string, string>[] = [
      { 'x-hub-signature-256': `sha256=${other}` },
      { 'x-gitea-signature': other },
      { 'x-gitlab-token': 'not-the-secret' },
      { 'x-hub-signature-256': hmac(secret, push) },
      {},
    ];
    for (const headers of attempts) {
      const response = await hook(api, 'hooked', push, headers);
      assert.is(response.statusCode, 401, JSON.stringify(headers));
      assert.is((response.json() as Json).code, 'TALLY_HOOK_BAD_SIGNATURE');
    }
    const tampered = await hook(api, 'hooked', push.replace('main', 'evil'), {
      'x-gitea-signature': hmac(secret, push),
    });
    assert.is(tampered.statusCode, 401);
    // Rightly signed, but sent as text: a content type to change, not a secret to check.
    const asText = await hook(api, 'hooked', push, {
      'content-type': 'text/plain',
      'x-gitea-signature': hmac(secret, push),
    });
    assert.is(asText.statusCode, 415, asText.body);
    assert.is((asText.json() as Json).code, 'TALLY_API_UNSUPPORTED_MEDIA_TYPE');
    assert.match(String((asText.json() as Json).detail), /application\/json/);
    assert.is(calls.length, 0);
  }),
);

test(
  'refuses a well-signed body that is not a JSON object',
  withTimeout(20_000, async ({ api, calls, secrets }) => {
    const secret = (await secrets.get('hooked')) ?? (await secrets.create('hooked'));
    for (const body of ['not json at all', '[1,2]', 'null', '"push"']) {
      const response = await hook(api, 'hooked', body, { 'x-gitea-signature': hmac(secret, body) });
      assert.is(response.statusCode, 400, body);
      const problem = response.json() as Json;
      assert.is(problem.code, 'TALLY_HOOK_MALFORMED_PAYLOAD');
      assert.match(String(problem.detail), /application\/json/);
    }
    assert.is(calls.length, 0);
  }),
);

test(
  'answers a signed push with 202 and polls with the forge as the trigger',
  withTimeout(30_000, async ({ api, calls, secrets }) => {
    const secret = (await secrets.get('hooked')) ?? (await secrets.create('hooked'));
    const response = await hook(api, 'hooked', push, {
      'x-github-event': 'push',
      'x-hub-signature-256': `sha256=${hmac(secret, push)}`,
    });
    assert.is(response.statusCode, 202, response.body);
    assert.equal(response.json(), { spec: 'hooked', forge: 'github', polling: true });
    assert.is(calls.length, 1);
    assert.is(calls[0]?.spec, 'hooked');
    assert.equal(calls[0]?.trigger, { kind: 'webhook', by: 'github' });
    const outcome = await calls[0]!.outcome;
    assert.is(outcome.evaluations.length, 1);
    const requested = [];
    for await (const event of api.store.readStream(streams.evaluation(outcome.evaluations[0]!)))
      requested.push(event);
    assert.is(requested[0]?.type, 'EvaluationRequested');
    assert.equal((requested[0]!.data as Json).trigger, { kind: 'webhook', by: 'github' });

    const gitlab = await hook(api, 'hooked', push, { 'x-gitlab-token': secret });
    assert.is(gitlab.statusCode, 202);
    assert.equal(calls[1]?.trigger, { kind: 'webhook', by: 'gitlab' });
    const forgejo = await hook(api, 'hooked', push, { 'x-forgejo-signature': hmac(secret, push) });
    assert.is(forgejo.statusCode, 202);
    assert.equal(calls[2]?.trigger, { kind: 'webhook', by: 'gitea' });
    await Promise.all(calls.map((call) => call.outcome));
  }),
);

test(
  'answers 404 for a specification the poller does not know, and 409 for a deactivated one',
  withTimeout(20_000, async ({ api, secrets }) => {
    for (const [spec, status, code] of [
      ['ghost', 404, 'TALLY_POLL_UNKNOWN_SPEC'],
      ['asleep', 409, 'TALLY_POLL_INACTIVE_SPEC'],
    ] as const) {
      const secret = await secrets.create(spec);
      const response = await hook(api, spec, push, { 'x-gitea-signature': hmac(secret, push) });
      assert.is(response.statusCode, status, response.body);
      assert.is((response.json() as Json).code, code);
    }
  }),
);

test(
  'the poll route needs a token, then answers what the poll found',
  withTimeout(30_000, async ({ api, calls }) => {
    const refused = await api.app.inject({ method: 'POST', url: '/api/specs/manual/poll' });
    assert.is(refused.statusCode, 401);
    assert.is((refused.json() as Json).code, 'TALLY_AUTH_MISSING_TOKEN');
    const before = calls.length;
    const polled = await api.app.inject({
      method: 'POST',
      url: '/api/specs/manual/poll',
      headers: { authorization: `Bearer ${api.token}` },
    });
    assert.is(polled.statusCode, 200, polled.body);
    const body = polled.json() as PollOutcome;
    assert.equal(body.detected, ['src/main']);
    assert.equal(body.failed, []);
    assert.is(body.evaluations.length, 1);
    assert.equal(calls[before]?.trigger, { kind: 'manual', by: 'user:alice' });
    const unknown = await api.app.inject({
      method: 'POST',
      url: '/api/specs/ghost/poll',
      headers: { authorization: `Bearer ${api.token}` },
    });
    assert.is(unknown.statusCode, 404);
    assert.is((unknown.json() as Json).code, 'TALLY_POLL_UNKNOWN_SPEC');
  }),
);

test(
  'the poll route refuses If-Match, which no poll can honour, without polling',
  withTimeout(30_000, async ({ api, calls }) => {
    const before = calls.length;
    const refused = await api.app.inject({
      method: 'POST',
      url: '/api/specs/manual/poll',
      headers: { authorization: `Bearer ${api.token}`, 'if-match': '"0"' },
    });
    assert.is(refused.statusCode, 400, refused.body);
    assert.equal(
      [(refused.json() as Json).code, (refused.json() as Json).field],
      ['TALLY_API_INVALID_REQUEST', 'headers.if-match'],
    );
    assert.is(calls.length, before, 'no poll was made');
  }),
);

test.run();
