/**
 * Fastify's own schema compilers (Ajv for what requests carry, fast-json-stringify for responses),
 * each route's compiled on the first request that needs it rather than all of them at `ready`.
 * Compiling every route's schemas took about half a second of a restart here (0.2 s of validators,
 * 0.2 s of serialisers, on a shared two-core machine), time in which the server answered nothing; a
 * route's first request now pays its own compile (a few milliseconds). Every route keeps its schemas:
 * the same compilers compile the same schemas with the same options, only later.
 *
 * Handing Fastify a compiler factory makes it treat the validator as custom, and it then no longer
 * lowercases the property names of header schemas (Node gives every header name in lowercase); header
 * schemas are therefore checked here to name their headers in lowercase, at registration.
 */
import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

interface RouteSchema {
  readonly schema: unknown;
  readonly httpPart?: string;
  readonly url?: string;
  readonly method?: string;
}
type Compiler = (route: RouteSchema) => (...args: unknown[]) => unknown;
type CompilerFactory = (externalSchemas: unknown, options: unknown) => Compiler;

// The compilers Fastify would choose itself, resolved from Fastify's own dependencies.
const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
const defaultValidators = (fromFastify('@fastify/ajv-compiler') as () => CompilerFactory)();
const defaultSerializers = (fromFastify('@fastify/fast-json-stringify-compiler') as () => CompilerFactory)();

/** A function that compiles `compile()` at its first use and then behaves as what it compiled. */
function deferred(compile: () => (...args: unknown[]) => unknown) {
  let compiled: ((...args: unknown[]) => unknown) | undefined;
  const get = () => {
    compiled ??= compile();
    return compiled;
  };
  const call = (...args: unknown[]) => get()(...args);
  // Fastify reads Ajv's `schemaEnv` before a call (to let Ajv coerce the root value) and `errors` after.
  for (const property of ['errors', 'schemaEnv', 'schema'])
    Object.defineProperty(call, property, {
      get: () => (get() as unknown as Record<string, unknown>)[property],
    });
  return call;
}

function checkHeaderNames(route: RouteSchema): void {
  const properties = (route.schema as { properties?: Record<string, unknown> } | undefined)?.properties;
  for (const name of Object.keys(properties ?? {}))
    if (name !== name.toLowerCase())
      throw new Error(
        `the header schema of ${route.method} ${route.url} names ${name}: write header names in lowercase`,
      );
}

type CompilersFactory = NonNullable<
  NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']
>;

/** The `compilersFactory` of Fastify's `schemaController` option. */
export const lazySchemaCompilers = {
  buildValidator(externalSchemas: unknown, options: unknown): Compiler {
    const compiler = defaultValidators(externalSchemas, options);
    // A JSON body says its types itself: `{"why": 5}` is a mistake to refuse, not text to make of it,
    // and a field no schema names is refused, not dropped in silence. Query strings and paths are text,
    // and their numbers are still read from it.
    const custom = (options as { customOptions?: object }).customOptions;
    const bodyCompiler = defaultValidators(externalSchemas, {
      ...(options as object),
      customOptions: { ...custom, coerceTypes: false, removeAdditional: false },
    });
    return (route) => {
      if (route.httpPart === 'headers') checkHeaderNames(route);
      const chosen = route.httpPart === 'body' ? bodyCompiler : compiler;
      return deferred(() => chosen(route));
    };
  },
  buildSerializer(externalSchemas: unknown, options: unknown): Compiler {
    const compiler = defaultSerializers(externalSchemas, options);
    return (route) => deferred(() => compiler(route));
  },
} as unknown as CompilersFactory;
