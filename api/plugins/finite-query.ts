/**
 * Refuses a query-string number not written as plain decimal digits. Ajv coerces whatever `Number()`
 * reads: `?cursor=1e400` (or `Infinity`) becomes `Infinity`, which `integer`, `minimum` and `maximum`
 * all let through (they only check finite numbers), so `/api/builds?cursor=1e400` answered as if no
 * cursor had been given; `?limit=0x10`, `?limit=+5` and `?cursor=1e3` were read as 16, 5 and 1000.
 * Only routes whose query string declares a number get the check, after validation.
 */
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../problem.ts';

type Properties = Readonly<Record<string, { readonly type?: unknown }>>;

/**
 * How each kind of number must be written. An integer may have 16 digits, as positions and cursors up
 * to 2^53 - 1 do, as long as it is exact in a JavaScript number; a fraction up to 15 digits each side.
 */
const forms = {
  integer: {
    test: (written: string) => /^-?\d{1,16}$/.test(written) && Number.isSafeInteger(Number(written)),
  },
  number: /^-?\d{1,15}(?:\.\d{1,15})?$/,
} as const;
type Form = (typeof forms)[keyof typeof forms];

/** The query string's number and integer properties, each with the form it must be written in. */
function numbersOf(querystring: unknown): [string, Form][] {
  const properties = (querystring as { properties?: Properties } | undefined)?.properties ?? {};
  return Object.keys(properties).flatMap((name): [string, Form][] => {
    const type = properties[name]?.type;
    return type === 'integer' || type === 'number' ? [[name, forms[type]]] : [];
  });
}

async function finiteQuery(fastify: FastifyInstance): Promise<void> {
  fastify.addHook('onRoute', (route) => {
    const names = numbersOf((route.schema as { querystring?: unknown } | undefined)?.querystring);
    if (names.length === 0) return;
    // A callback hook rather than an async one: no promise per request on the busiest read routes.
    const check: preHandlerHookHandler = (request, _reply, done) => {
      const query = request.query as Readonly<Record<string, unknown>>;
      let raw: URLSearchParams | undefined;
      for (const [name, form] of names) {
        if (typeof query[name] !== 'number') continue;
        raw ??= new URLSearchParams(request.raw.url?.split('?')[1] ?? '');
        const written = raw.get(name);
        // Absent, the number is the schema's default.
        if (written !== null && !form.test(written))
          return done(
            new ApiError(
              'TALLY_API_INVALID_REQUEST',
              `querystring.${name} must be written in decimal digits: give a number within the bounds ${route.url} documents at /api/docs`,
              `querystring.${name}`,
            ),
          );
      }
      done();
    };
    const existing = route.preHandler === undefined ? [] : [route.preHandler].flat();
    route.preHandler = [...existing, check];
  });
}

export default fp(finiteQuery, {
  name: 'tally-finite-query',
  fastify: '5.x',
  dependencies: ['tally-errors'],
});
