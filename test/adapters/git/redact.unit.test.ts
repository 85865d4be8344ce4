/**
 * `redact`: the user and password of a URL never reach an event or a log, whatever git quoted it in.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { redact } from '../../../adapters/git/git.ts';

const test = suite('redact');

test('removes user:password@ from an https URL', () => {
  assert.is(redact('https://alice:hunter2@git.example.org/repo.git'), 'https://***@git.example.org/repo.git');
});

test('removes user:password@ from an ssh URL, keeping the port and path', () => {
  assert.is(
    redact('ssh://git:s3cret@example.org:2222/srv/repo.git'),
    'ssh://***@example.org:2222/srv/repo.git',
  );
});

test('removes a token given without a password', () => {
  assert.is(redact('https://ghp_abcdef@github.com/o/r.git'), 'https://***@github.com/o/r.git');
});

test("removes credentials from every URL inside git's message", () => {
  const said =
    "fatal: unable to access 'https://u:p1@a.example/r/': 403\nfatal: could not read from 'http://v:p2@b.example/s'";
  const redacted = redact(said);
  assert.not.match(redacted, /p1|p2|u:|v:/);
  assert.is(
    redacted,
    "fatal: unable to access 'https://***@a.example/r/': 403\nfatal: could not read from 'http://***@b.example/s'",
  );
});

test('leaves URLs without credentials, scp-like addresses and paths as they are', () => {
  for (const text of [
    'https://github.com/o/r.git',
    'ssh://example.org/srv/repo.git',
    'git@github.com:o/r.git',
    '/srv/git/repo.git',
    'file:///srv/git/repo.git',
    'mail me at alice@example.org',
  ]) {
    assert.is(redact(text), text);
  }
});

test.run();
