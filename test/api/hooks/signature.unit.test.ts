/**
 * `verifySignature`: which forge signed a webhook with the specification's secret, on the exact bytes
 * of the body, and nothing for a wrong secret, a changed body or a header that is missing or malformed.
 */
import { createHmac } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { verifySignature } from '../../../api/routes/hooks/signature.ts';

const test = suite('verifySignature');

const secret = 'a3f1c0de'.repeat(8);
const body = Buffer.from('{"ref":"refs/heads/main","after":"0123"}');
const hmac = (key: string, bytes: Buffer) => createHmac('sha256', key).update(bytes).digest('hex');

test('accepts a GitHub sha256= HMAC', () => {
  assert.is(
    verifySignature({ 'x-hub-signature-256': `sha256=${hmac(secret, body)}` }, body, secret),
    'github',
  );
});

test('accepts a Gitea hex HMAC', () => {
  assert.is(verifySignature({ 'x-gitea-signature': hmac(secret, body) }, body, secret), 'gitea');
});

test('accepts a Forgejo hex HMAC as the Gitea family', () => {
  assert.is(verifySignature({ 'x-forgejo-signature': hmac(secret, body) }, body, secret), 'gitea');
});

test('accepts a GitLab token equal to the secret', () => {
  assert.is(verifySignature({ 'x-gitlab-token': secret }, body, secret), 'gitlab');
});

test('reads the first value of a repeated header', () => {
  assert.is(verifySignature({ 'x-gitea-signature': [hmac(secret, body), 'other'] }, body, secret), 'gitea');
});

test('refuses a signature made with another secret, for every forge', () => {
  const other = 'b'.repeat(64);
  assert.is(
    verifySignature({ 'x-hub-signature-256': `sha256=${hmac(other, body)}` }, body, secret),
    undefined,
  );
  assert.is(verifySignature({ 'x-gitea-signature': hmac(other, body) }, body, secret), undefined);
  assert.is(verifySignature({ 'x-forgejo-signature': hmac(other, body) }, body, secret), undefined);
  assert.is(verifySignature({ 'x-gitlab-token': other }, body, secret), undefined);
});

test('refuses a body changed after it was signed', () => {
  const tampered = Buffer.from(body.toString().replace('main', 'evil'));
  assert.is(
    verifySignature({ 'x-hub-signature-256': `sha256=${hmac(secret, body)}` }, tampered, secret),
    undefined,
  );
  assert.is(verifySignature({ 'x-gitea-signature': hmac(secret, body) }, tampered, secret), undefined);
});

test('refuses a request without any signature header', () => {
  assert.is(
    verifySignature({ 'content-type': 'application/json', 'x-github-event': 'push' }, body, secret),
    undefined,
  );
});

test('refuses a GitHub header without the sha256= prefix or with another one', () => {
  const digest = hmac(secret, body);
  assert.is(verifySignature({ 'x-hub-signature-256': digest }, body, secret), undefined);
  assert.is(verifySignature({ 'x-hub-signature-256': `sha1=${digest}` }, body, secret), undefined);
  assert.is(verifySignature({ 'x-hub-signature-256': `SHA256=${digest}` }, body, secret), undefined);
});

test('refuses a signature of another length without throwing', () => {
  assert.is(
    verifySignature({ 'x-gitea-signature': hmac(secret, body).slice(0, 10) }, body, secret),
    undefined,
  );
  assert.is(verifySignature({ 'x-gitlab-token': '' }, body, secret), undefined);
});

test.run();
