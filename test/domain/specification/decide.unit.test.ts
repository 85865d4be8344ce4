import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type Specification, specificationDecider } from '../../../domain/specification/index.ts';
import { givenFor } from '../given.ts';

const given = givenFor(specificationDecider);
const at = '2024-05-01T12:00:00Z';
const actor = 'user:alice' as const;

const spec: Specification = {
  name: 'guix-master',
  channels: [{ name: 'guix', url: 'https://git.savannah.gnu.org/git/guix.git', branch: 'master' }],
  evaluator: { kind: 'guix', entry: '(gnu ci)' },
  systems: ['x86_64-linux'],
  priority: 10,
  pollingPeriodSeconds: 300,
  buildLimits: { timeoutSeconds: 3600, maxSilentSeconds: 600, maxLogBytes: 1 << 20 },
  retries: 1,
  keepEvaluations: 3,
  active: true,
};
const registered = { type: 'SpecificationRegistered', data: { spec } } as const;
const removed = { type: 'SpecificationRemoved', data: { name: spec.name, by: actor } } as const;

const lifeCycle = suite('a specification');

lifeCycle('is registered once', () => {
  given([]).when({ type: 'RegisterSpecification', spec, at, actor }).then([registered]);
  given([registered])
    .when({ type: 'RegisterSpecification', spec, at, actor })
    .thenThrows('TALLY_SPEC_ALREADY_EXISTS');
});

lifeCycle('is refused when invalid, with every field problem in details', () => {
  const bad = { ...spec, name: '-bad', systems: [] };
  const error = given([])
    .when({ type: 'RegisterSpecification', spec: bad, at, actor })
    .thenThrows('TALLY_SPEC_INVALID');
  assert.equal(
    (error as unknown as { details: { path: string }[] }).details.map((issue) => issue.path),
    ['name', 'systems'],
  );
  assert.is((error as unknown as { status: number }).status, 422);
});

lifeCycle('records what an update changed, and nothing when nothing changed', () => {
  const next = { ...spec, priority: 20, systems: ['x86_64-linux', 'aarch64-linux'] };
  given([registered])
    .when({ type: 'UpdateSpecification', spec: next, at, actor })
    .then([{ type: 'SpecificationUpdated', data: { spec: next, changed: ['systems', 'priority'] } }]);
  given([registered]).when({ type: 'UpdateSpecification', spec, at, actor }).thenNothing();
});

lifeCycle('records an optional field left out of an update as changed', () => {
  const notifying = {
    ...spec,
    notifications: [{ kind: 'webhook', url: 'https://example.org/hook' }],
  } as const;
  const withHooks = { type: 'SpecificationRegistered', data: { spec: notifying } } as const;
  given([withHooks])
    .when({ type: 'UpdateSpecification', spec, at, actor })
    .then([{ type: 'SpecificationUpdated', data: { spec, changed: ['notifications'] } }]);
});

lifeCycle('keeps its active flag through updates', () => {
  const paused = { type: 'SpecificationDeactivated', data: { name: spec.name, by: actor } } as const;
  const next = { ...spec, priority: 1 };
  given([registered, paused])
    .when({ type: 'UpdateSpecification', spec: next, at, actor })
    .then([
      { type: 'SpecificationUpdated', data: { spec: { ...next, active: false }, changed: ['priority'] } },
    ]);
});

lifeCycle('cannot be renamed or updated before registration', () => {
  given([registered])
    .when({ type: 'UpdateSpecification', spec: { ...spec, name: 'other' }, at, actor })
    .thenThrows('TALLY_SPEC_RENAME');
  given([]).when({ type: 'UpdateSpecification', spec, at, actor }).thenThrows('TALLY_SPEC_NOT_FOUND');
});

lifeCycle('is deactivated and activated by someone, idempotently', () => {
  const paused = {
    type: 'SpecificationDeactivated',
    data: { name: spec.name, by: actor, why: 'upstream is broken' },
  } as const;
  given([registered])
    .when({ type: 'DeactivateSpecification', name: spec.name, why: 'upstream is broken', at, actor })
    .then([paused]);
  given([registered, paused])
    .when({ type: 'DeactivateSpecification', name: spec.name, at, actor })
    .thenNothing();
  given([registered, paused])
    .when({ type: 'ActivateSpecification', name: spec.name, at, actor: 'user:bob' })
    .then([{ type: 'SpecificationActivated', data: { name: spec.name, by: 'user:bob' } }]);
  given([registered, paused])
    .when({ type: 'ActivateSpecification', name: spec.name, why: 'fixed upstream', at, actor })
    .then([{ type: 'SpecificationActivated', data: { name: spec.name, by: actor, why: 'fixed upstream' } }]);
  given([registered]).when({ type: 'ActivateSpecification', name: spec.name, at, actor }).thenNothing();
  assert.is(given([registered, paused]).state.status, 'inactive');
});

lifeCycle('refuses a definition that is not even an object, and a name that is not its stream', () => {
  const nothing = null as unknown as typeof spec;
  given([])
    .when({ type: 'RegisterSpecification', spec: nothing, at, actor })
    .thenThrows('TALLY_SPEC_INVALID');
  given([registered])
    .when({ type: 'UpdateSpecification', spec: nothing, at, actor })
    .thenThrows('TALLY_SPEC_INVALID');
  for (const type of ['DeactivateSpecification', 'ActivateSpecification', 'RemoveSpecification'] as const)
    given([registered]).when({ type, name: 'other', at, actor }).thenThrows('TALLY_SPEC_NOT_FOUND');
});

lifeCycle('once removed, is gone but may be registered again as new', () => {
  given([registered]).when({ type: 'RemoveSpecification', name: spec.name, at, actor }).then([removed]);
  given([registered, removed])
    .when({ type: 'ActivateSpecification', name: spec.name, at, actor })
    .thenThrows('TALLY_SPEC_NOT_FOUND');
  given([registered, removed])
    .when({ type: 'RemoveSpecification', name: spec.name, at, actor })
    .thenThrows('TALLY_SPEC_NOT_FOUND');
  given([registered, removed]).when({ type: 'RegisterSpecification', spec, at, actor }).then([registered]);
});

lifeCycle.run();
