/**
 * Authentication: reads are public (unless `publicReads` is false), every write (POST, PUT, PATCH,
 * DELETE) needs `Authorization: Bearer <token>`. The authenticated actor (`user:NAME`) is
 * `request.actor`; a read bearing a valid token gets it too, a read bearing a bad one stays anonymous.
 * Routes marked `config: { public: true }` (health checks) never need a token, nor do the paths under
 * `exemptPrefixes`, whose routes authenticate on their own (the binary cache speaks Nix's Basic auth;
 * it can check tokens with `fastify.tokens`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { TokenStore } from '../auth/token-store.ts';
import { ApiError } from '../problem.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who sent the request (`user:NAME`); `null` for anonymous reads. Always set on writes. */
    actor: string | null;
  }
  interface FastifyInstance {
    /** The bearer tokens, for routes that authenticate on their own. */
    tokens: TokenStore;
  }
  interface FastifyContextConfig {
    /** Never require a token for this route. */
    public?: boolean;
  }
}

export interface AuthOptions {
  readonly tokens: TokenStore;
  /** Let anyone read without a token. Defaults to true. */
  readonly publicReads?: boolean;
  /** Path prefixes (`/cache/`) whose routes authenticate on their own. */
  readonly exemptPrefixes?: readonly string[];
}

const writeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The bearer token of the request; `undefined` when there is no usable Authorization header. */
function bearerToken(request: FastifyRequest): string | undefined {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

async function auth(fastify: FastifyInstance, options: AuthOptions): Promise<void> {
  const publicReads = options.publicReads ?? true;
  const exempt = options.exemptPrefixes ?? [];
  fastify.decorate('tokens', options.tokens);
  fastify.decorateRequest('actor', null);
  fastify.addHook('onRequest', async (request, reply) => {
    if (exempt.some((prefix) => request.url.startsWith(prefix))) return;
    const required =
      request.routeOptions.config.public !== true && (writeMethods.has(request.method) || !publicReads);
    const token = bearerToken(request);
    if (token === undefined) {
      if (!required) return;
      reply.header('www-authenticate', 'Bearer');
      throw new ApiError(
        'TALLY_AUTH_MISSING_TOKEN',
        'this request needs a token: send Authorization: Bearer <token> (see `tally token create`)',
      );
    }
    const actor = await options.tokens.verify(token);
    if (actor !== undefined) {
      request.actor = actor;
      return;
    }
    if (required)
      throw new ApiError('TALLY_AUTH_BAD_TOKEN', 'the bearer token is not valid (revoked or mistyped)');
  });
}

export default fp(auth, { name: 'tally-auth', fastify: '5.x', dependencies: ['tally-errors'] });
