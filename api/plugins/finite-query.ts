/**
 * Refuses a query-string number that is not finite. Ajv coerces `?cursor=1e400` (or `Infinity`) to
 * `Infinity`, and `integer`, `minimum` and `maximum` all let it through (they only check finite numbers),
 * so `/api/builds?cursor=1e400` answered as if no cursor had been given. Only routes whose query string
 * declares a number get the check, after validation has coerced it.
 */
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../problem.ts';

type Properties = Readonly<Record<string, { readonly type?: unknown }>>;

/** The names of the query string's number and integer properties. */
function numbersOf(querystring: unknown): string[] {
  const properties = (querystring as { properties?: Properties } | undefined)?.properties ?? {};
  return Object.keys(properties).filter((name) => {
    const type = properties[name]?.type;
    return type === 'integer' || type === 'number';
  });
}

async function finiteQuery(fastify: FastifyInstance): Promise<void> {
  fastify.addHook('onRoute', (route) => {
    const names = numbersOf((route.schema as { querystring?: unknown } | undefined)?.querystring);
    if (names.length === 0) return;
    // A callback hook rather than an async one: no promise per request on the busiest read routes.
    const check: preHandlerHookHandler = (request, _reply, done) => {
      const query = request.query as Readonly<Record<string, unknown>>;
      for (const name of names) {
        const value = query[name];
        if (typeof value === 'number' && !Number.isFinite(value))
          return done(
            new ApiError(
              'TALLY_API_INVALID_REQUEST',
              `querystring.${name} must be a finite number: give a whole number within the bounds ${route.url} documents at /api/docs`,
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
