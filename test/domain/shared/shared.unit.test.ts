import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DomainError, domainErrors } from '../../../domain/shared/errors.ts';
import { deriveEventId, deriveEventIds, isUuid, uuidV5 } from '../../../domain/shared/event-ids.ts';
import { metadataFor, parseActor, parseMetadata } from '../../../domain/shared/metadata.ts';
import { drvHashPart, parseStreamName, streams } from '../../../domain/shared/streams.ts';

const ids = suite('deterministic event ids');

ids('are RFC 9562 version 5 UUIDs (the standard test vector)', () => {
  assert.is(
    uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com'),
    '2ed6657d-e927-568b-95e1-2665a8aea6a2',
  );
});

ids('are the same for the same cause and discriminator, and differ otherwise', () => {
  const cause = '0b7e1a52-3c1f-4d0e-9d59-2f1d2a6f3c11';
  assert.is(deriveEventId(cause, '0:BuildQueued'), deriveEventId(cause, '0:BuildQueued'));
  assert.is.not(deriveEventId(cause, '0:BuildQueued'), deriveEventId(cause, '1:BuildQueued'));
  assert.is.not(deriveEventId(cause, '0:BuildQueued'), deriveEventId(`${cause}x`, '0:BuildQueued'));
  const events = [{ type: 'BuildQueued' }, { type: 'BuildQueued' }];
  assert.equal(deriveEventIds(cause, events), deriveEventIds(cause, events));
  assert.is(new Set(deriveEventIds(cause, events)).size, 2);
});

ids('never collide across causes and discriminators that only shift a separator', () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (a, b, c, d) => {
      fc.pre(a !== c || b !== d);
      fc.pre(!a.includes('\u0000') && !c.includes('\u0000'));
      const id = deriveEventId(a, b);
      assert.ok(isUuid(id));
      assert.is.not(id, deriveEventId(c, d));
    }),
  );
});

const names = suite('stream names');

names('are built per category and split back at the first dash', () => {
  const drv = '/nix/store/ihdwy5k1i80r3gggim39pday2v3vbpna-hello-2.12.drv';
  assert.is(streams.build(drv), 'build-ihdwy5k1i80r3gggim39pday2v3vbpna');
  assert.is(streams.spec('guix-master'), 'spec-guix-master');
  assert.equal(parseStreamName('spec-guix-master'), { category: 'spec', id: 'guix-master' });
  assert.equal(parseStreamName(streams.evaluation('42')), { category: 'eval', id: '42' });
  assert.equal(parseStreamName(streams.notification('n-1')), { category: 'notification', id: 'n-1' });
  for (const other of ['$ce-build', 'spec-', '-x', 'spec', 'evaluation-1', ''])
    assert.is(parseStreamName(other), undefined, other);
});

names('take only derivation paths for builds', () => {
  assert.is(drvHashPart('/nix/store/ihdwy5k1i80r3gggim39pday2v3vbpna-hello'), undefined);
  assert.is(drvHashPart('/nix/store/ihdwy5k1i80r3gggim39pday2v3vbpne-x.drv'), undefined);
  assert.throws(() => streams.build('hello.drv'));
});

const metadata = suite('event metadata');

metadata('parses actors of every kind and refuses others', () => {
  for (const actor of ['user:alice', 'worker:w1.example.org', 'poller', 'gc', 'system', 'notifier'])
    assert.is(parseActor(actor), actor);
  for (const actor of ['user:', 'robot', 'worker:a b', 'User:alice', 'user:-x'])
    assert.is(parseActor(actor), undefined);
});

metadata('carries the correlation of a causing event and the command id of a fresh one', () => {
  const at = '2024-05-01T12:00:00Z';
  assert.equal(metadataFor({ kind: 'event', id: 'e2', correlationId: 'c1' }, 'scheduler', at, 1), {
    schemaVersion: 1,
    correlationId: 'c1',
    causationId: 'e2',
    actor: 'scheduler',
    at,
  });
  assert.equal(metadataFor({ kind: 'command', id: 'r9' }, 'user:bob', at, 2).correlationId, 'r9');
});

metadata('is read back from the store, with field paths on failure', () => {
  const good = {
    schemaVersion: 1,
    correlationId: 'c',
    causationId: 'e',
    actor: 'poller',
    at: '2024-05-01T12:00:00Z',
  };
  assert.equal(parseMetadata({ ...good, $store: 1 }), { ok: true, value: good });
  const bad = parseMetadata({ ...good, schemaVersion: 0, actor: 'robot', at: 'yesterday' });
  assert.equal(bad.ok ? [] : bad.issues.map((issue) => issue.path), [
    'metadata.schemaVersion',
    'metadata.actor',
    'metadata.at',
  ]);
});

const errors = suite('the error catalog');

errors('gives every code a status and advice, and messages say what to do next', () => {
  for (const [code, entry] of Object.entries(domainErrors)) {
    assert.match(code, /^TALLY_[A-Z_]+$/);
    assert.ok([404, 409, 422].includes(entry.status), code);
    assert.ok(entry.next.endsWith('.'), code);
  }
  const error = new DomainError('TALLY_BUILD_ALREADY_FINISHED', 'Build x has already succeeded');
  assert.is(error.status, 409);
  assert.is(error.message, 'Build x has already succeeded. Restart the build to run it again.');
});

ids.run();
names.run();
metadata.run();
errors.run();
