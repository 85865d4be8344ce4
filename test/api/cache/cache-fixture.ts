/**
 * A minimal Fastify app with only the binary cache mounted under `/cache`, over real HTTP on a free
 * loopback port, with a file store and a signing key of its own. Uploads need `Bearer upload-token`.
 */

import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { presentedToken } from '../../../api/auth/presented-token.ts';
import { cacheRoutes } from '../../../api/routes/cache/index.ts';
import {
  type PublicKey,
  printPublicKey,
  type SecretKey,
  secretKeyFromSeed,
} from '../../../domain/derivation/index.ts';
import { createStoreFixture, type StoreFixture } from '../../adapters/store/store-fixtures.ts';

export interface CacheFixture {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly fixture: StoreFixture;
  readonly key: SecretKey;
  readonly publicKey: string;
  readonly stagingDir: string;
  close(): Promise<void>;
}

export const uploadToken = 'upload-token';

export interface StartOptions {
  readonly trustedUploadKeys?: PublicKey[];
}

export async function startCache(options: StartOptions = {}): Promise<CacheFixture> {
  const fixture = await createStoreFixture('tally-cache-');
  const key = secretKeyFromSeed('tally-test-cache-1', new Uint8Array(32).fill(7));
  const stagingDir = join(fixture.root, 'staging');
  const app = Fastify({ logger: false });
  await app.register(cacheRoutes, {
    prefix: '/cache',
    store: fixture.store,
    signingKey: { name: key.name, secretKey: key },
    stagingDir,
    ...(options.trustedUploadKeys && { trustedUploadKeys: options.trustedUploadKeys }),
    // The token read as the server reads it: a bearer token, or the password Nix sends from a netrc file.
    authorizeUpload: async (request) =>
      presentedToken(request.headers.authorization) === uploadToken
        ? { actor: 'worker:test' }
        : { status: 401, code: 'TALLY_AUTH_MISSING_TOKEN', detail: 'uploads need a bearer token' },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    app,
    url: `http://127.0.0.1:${port}/cache`,
    fixture,
    key,
    publicKey: printPublicKey(key.publicKey),
    stagingDir,
    async close() {
      await app.close();
      await fixture.cleanup();
    },
  };
}
