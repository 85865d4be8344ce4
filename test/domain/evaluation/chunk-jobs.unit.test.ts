import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  chunkJobs,
  chunkReusedBuilds,
  defaultChunkBytes,
  type Job,
  utf8Length,
} from '../../../domain/evaluation/index.ts';
import { isDomainError } from '../../../domain/shared/errors.ts';

const bytesOf = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length;

function guixJob(index: number): Job {
  const hash = index.toString(32).padStart(32, '0');
  return {
    name: `package-number-${index}-with-a-longish-name.x86_64-linux`,
    system: 'x86_64-linux',
    drvPath: `/gnu/store/${hash}-package-${index}.drv`,
    outputs: { out: `/gnu/store/${hash}-package-${index}`, doc: `/gnu/store/${hash}-package-${index}-doc` },
  };
}

const chunks = suite('chunkJobs');

chunks('splits a Guix-size evaluation into chunks under the default budget, in order', () => {
  const jobs = Array.from({ length: 60_000 }, (_, index) => guixJob(index));
  const result = chunkJobs('e1', jobs);
  assert.ok(result.length > 1);
  result.forEach((chunk, index) => {
    assert.is(chunk.chunk, index);
    assert.ok(bytesOf(chunk) <= defaultChunkBytes, `chunk ${index} is ${bytesOf(chunk)} bytes`);
  });
  assert.equal(
    result.flatMap((chunk) => chunk.jobs),
    jobs,
  );
});

chunks('counts bytes as UTF-8, as the store does', () => {
  for (const text of ['', 'abc', 'é', '€', '😀', 'a\u0000"\\\n', '\ud800']) {
    assert.is(utf8Length(JSON.stringify(text)), bytesOf(text), JSON.stringify(text));
  }
});

chunks('refuses a job that alone is over the budget', () => {
  const big = { ...guixJob(1), name: 'x'.repeat(2000) };
  try {
    chunkJobs('e1', [guixJob(0), big], { maxBytes: 1000 });
    assert.unreachable('accepted');
  } catch (error) {
    assert.ok(isDomainError(error) && error.code === 'TALLY_EVALUATION_JOB_TOO_LARGE');
  }
});

const text = fc.string({ unit: 'binary', maxLength: 40 });
const arbitraryJob = fc.record({
  name: text,
  system: fc.constantFrom('x86_64-linux', 'aarch64-linux', 'i686-linux'),
  drvPath: text,
  outputs: fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), text, { minKeys: 1, maxKeys: 3 }),
});

chunks(
  'never exceeds the budget, keeps every job in order, numbers chunks from firstChunk, fills greedily',
  () => {
    fc.assert(
      fc.property(
        fc.array(arbitraryJob, { maxLength: 60 }),
        fc.integer({ min: 1600, max: 5000 }),
        fc.nat(12),
        (jobs, maxBytes, firstChunk) => {
          const result = chunkJobs('evaluation-Ω', jobs, { maxBytes, firstChunk });
          assert.equal(
            result.flatMap((chunk) => chunk.jobs),
            jobs,
          );
          result.forEach((chunk, index) => {
            assert.is(chunk.chunk, firstChunk + index);
            assert.ok(chunk.jobs.length > 0);
            assert.ok(bytesOf(chunk) <= maxBytes);
            const next = result[index + 1]?.jobs[0];
            if (next) assert.ok(bytesOf({ ...chunk, jobs: [...chunk.jobs, next] }) > maxBytes, 'not greedy');
          });
        },
      ),
    );
  },
);

chunks('splits reused builds into greedy chunks within the budget, numbered from the first', () => {
  const builds = Array.from({ length: 12_000 }, (_, i) => ({
    drvPath: guixJob(i).drvPath,
    jobs: [guixJob(i).name, `${guixJob(i).name}-alias`],
  }));
  const result = chunkReusedBuilds('e1', 'guix', 3, builds, 2);
  assert.ok(result.length > 1, 'more than one chunk');
  assert.equal(
    result.flatMap((chunk) => chunk.builds),
    builds,
  );
  result.forEach((chunk, index) => {
    assert.equal([chunk.evaluationId, chunk.chunk, chunk.spec, chunk.priority], ['e1', 2 + index, 'guix', 3]);
    assert.ok(bytesOf(chunk) <= defaultChunkBytes);
    const next = result[index + 1]?.builds[0];
    if (next)
      assert.ok(bytesOf({ ...chunk, builds: [...chunk.builds, next] }) > defaultChunkBytes, 'not greedy');
  });
});

chunks.run();
