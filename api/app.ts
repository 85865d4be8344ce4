/**
 * `buildApp`: the whole HTTP server as a Fastify instance, not yet listening. The composition root
 * (`ops/server/`) passes the ports in and calls `listen`; tests call `inject` or `listen` on port 0.
 */
import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  LogController,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import type { Logger } from 'pino';
import { openTokenStore, type TokenStore } from './auth/token-store.ts';
import { answerClientError, bodyIdleDeadline } from './client-errors.ts';
import { lazySchemaCompilers } from './lazy-schema-compilers.ts';
import { type TallyApiOptions, tallyApi } from './plugin.ts';
import { sendProblem } from './plugins/errors.ts';
import { problemOfError } from './problem-of-error.ts';

/** What `buildApp` needs; everything but the ports has a default. */
export interface BuildAppOptions extends Omit<TallyApiOptions, 'tokens' | 'version'> {
  /** The data directory; the token file `<dataDir>/tokens.json` lives there. */
  readonly dataDir: string;
  /** Request and error logs go here (each request's logger carries its id). */
  readonly logger: Logger;
  /** The bearer tokens; defaults to the token file of `dataDir`. */
  readonly tokens?: TokenStore;
  /** Shown in the OpenAPI document. Defaults to 0.0.0. */
  readonly version?: string;
  /** Largest request body accepted, in bytes. Defaults to 1 MiB. */
  readonly bodyLimit?: number;
  /**
   * How long a request's body may stop arriving (no byte at all), in ms; then 408 and the connection
   * closed. Defaults to a minute; 0 turns it off. Node gives the request line and headers a minute too.
   */
  readonly bodyIdleTimeoutMs?: number;
}

/**
 * The longest path parameter the router passes to a route, as sent: the longest schema allows 512
 * characters, which percent-encoding can make several times longer.
 */
export const maxPathParameter = 2048;

/** The app's type: Fastify with TypeBox type inference. */
export type TallyApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export async function buildApp(options: BuildAppOptions): Promise<TallyApp> {
  const {
    dataDir,
    logger,
    bodyLimit = 1024 * 1024,
    version = '0.0.0',
    bodyIdleTimeoutMs = 60_000,
    ...api
  } = options;
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; naming the base type keeps the app's type the common one.
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit,
    clientErrorHandler: answerClientError(bodyIdleTimeoutMs, logger),
    genReqId: () => randomUUID(),
    // One line per request instead of two (plugins/request-log.ts).
    logController: new LogController({ disableRequestLogging: true }),
    // Long-lived feeds are ended by the API's own preClose hook; idle keep-alive sockets by Fastify.
    forceCloseConnections: 'idle',
    // Each route's schemas compiled at its first request, not all at start (lazy-schema-compilers.ts).
    schemaController: { compilersFactory: lazySchemaCompilers },
    // A build's id may be its URL-encoded `.drv` path, far past the router's default of 100 characters;
    // the routes' schemas bound each parameter themselves.
    routerOptions: { maxParamLength: maxPathParameter },
    // A path the router cannot decode, or a parameter longer than the bound, is answered before any
    // route runs: still a problem with a code, like every other refusal.
    frameworkErrors: (error, request, reply) => sendProblem(request, reply, problemOfError(error)),
  }).withTypeProvider<TypeBoxTypeProvider>();
  // A client that sends half a body and waits would hold its connection for good.
  if (bodyIdleTimeoutMs > 0) app.addHook('onRequest', bodyIdleDeadline(bodyIdleTimeoutMs));
  await app.register(tallyApi, { ...api, version, tokens: options.tokens ?? openTokenStore(dataDir) });
  return app;
}
