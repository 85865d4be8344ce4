/**
 * The binary cache alone in its own process for the store bench: opens the file store at argv[2]
 * (store dir) and argv[3] (state dir), serves it under /cache on a free loopback port with a
 * throwaway key and no uploads, and prints `listening <port>` once ready.
 */
import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { openFileStore } from '../../../adapters/store/file-store.ts';
import { cacheRoutes } from '../../../api/routes/cache/index.ts';
import { secretKeyFromSeed } from '../../../domain/derivation/index.ts';

const [storeDir, stateDir] = process.argv.slice(2) as [string, string];
const key = secretKeyFromSeed('tally-bench-1', new Uint8Array(randomBytes(32)));
const app = Fastify({ logger: false });
await app.register(cacheRoutes, {
  prefix: '/cache',
  store: await openFileStore({ storeDir, stateDir }),
  signingKey: { name: key.name, secretKey: key },
  authorizeUpload: async () => ({
    status: 403,
    code: 'TALLY_AUTH_BAD_TOKEN',
    detail: 'no uploads in the bench',
  }),
});
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
console.log(`listening ${typeof address === 'object' && address ? address.port : 0}`);
