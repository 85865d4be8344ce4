/**
 * The store as a Nix binary cache, an encapsulated Fastify plugin to mount under `/cache`:
 *
 *   GET  /nix-cache-info                   StoreDir, WantMassQuery, Priority
 *   GET|HEAD /<hashPart>.narinfo           signed with the farm's key; URL nar/<fileHash>.nar.zst
 *   GET|HEAD /nar/<fileHash>.nar.zst       the compressed NAR, streamed from disk
 *   GET  /log/<drv basename>               the latest build log, as text
 *   PUT  /nar/<fileHash>.nar[.zst]         upload step 1 (authorised): stage a NAR
 *   PUT  /<hashPart>.narinfo               upload step 2 (authorised): verify and register
 *
 * Misses are 404 text/plain, as Nix expects; refused uploads are problem+json with a
 * `TALLY_CACHE_…` code. The upload protocol is Nix's own, so `nix copy --to
 * 'http://host/cache?compression=zstd'` works as a client (see `upload.ts`).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../../../adapters/store/store.ts';
import { type PublicKey, parseSecretKey, type SecretKey } from '../../../domain/derivation/index.ts';
import { createNarInfoRenderer } from './narinfo.ts';
import { CacheError, handleCacheError, sendProblem, type UploadProblem } from './problems.ts';
import { createUploads } from './upload.ts';

/** Options of the binary cache plugin. */
export interface CacheOptions {
  readonly store: Store;
  /** The farm's key: narinfo is signed with it. `secretKey` is Nix's `name:base64` text or a parsed key. */
  readonly signingKey: { readonly name: string; readonly secretKey: string | SecretKey };
  /** Decides whether a request may upload: the actor who does, or the problem to answer with. */
  readonly authorizeUpload: (request: FastifyRequest) => Promise<{ readonly actor: string } | UploadProblem>;
  /** Uploader keys: when given, an uploaded narinfo must be signed by one of them. */
  readonly trustedUploadKeys?: readonly PublicKey[];
  /** `Priority` in nix-cache-info (lower wins; cache.nixos.org is 40). */
  readonly priority?: number;
  /** Where NARs wait for their narinfo (default: a directory under the OS temp dir). */
  readonly stagingDir?: string;
  /** Largest NAR upload accepted, in bytes (default 16 GiB). */
  readonly maxNarBytes?: number;
  /** How long a staged NAR waits for its narinfo (default one hour). */
  readonly stagedTtlMs?: number;
}

const narInfoName = /^([0-9a-df-np-sv-z]{32})\.narinfo$/;
const zstdNarName = /^([0-9a-df-np-sv-z]{52})\.nar\.zst$/;
const drvBaseName = /^[0-9a-df-np-sv-z]{32}-[A-Za-z0-9+\-._?=]+\.drv$/;

function notFound(reply: FastifyReply) {
  return reply.code(404).type('text/plain; charset=utf-8').send('404 not found\n');
}

export const cacheRoutes: FastifyPluginAsync<CacheOptions> = async (app, options) => {
  const { store } = options;
  const key =
    typeof options.signingKey.secretKey === 'string'
      ? parseSecretKey(options.signingKey.secretKey)
      : options.signingKey.secretKey;
  if (key.name !== options.signingKey.name) {
    throw new Error(`the signing key is named '${key.name}', not '${options.signingKey.name}'`);
  }
  const renderNarInfo = createNarInfoRenderer(store.storeDir, key);
  const uploads = createUploads({
    store,
    stagingDir: options.stagingDir ?? join(tmpdir(), 'tally-cache-uploads'),
    ...(options.trustedUploadKeys && { trustedKeys: options.trustedUploadKeys }),
    maxNarBytes: options.maxNarBytes ?? 16 * 2 ** 30,
    stagedTtlMs: options.stagedTtlMs ?? 3_600_000,
  });
  const cacheInfo = `StoreDir: ${store.storeDir}\nWantMassQuery: 1\nPriority: ${options.priority ?? 30}\n`;

  app.setErrorHandler(handleCacheError);
  app.setNotFoundHandler((_request, reply) => notFound(reply));
  // Uploads are streams of any type (Nix sends application/x-nix-nar, text/x-nix-narinfo): hand the
  // raw body to the route, which streams it to disk under its own limits.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  /** Runs `authorizeUpload`; answers with its problem and returns undefined when refused. */
  async function authorize(request: FastifyRequest, reply: FastifyReply): Promise<string | undefined> {
    const verdict = await options.authorizeUpload(request);
    if ('actor' in verdict) return verdict.actor;
    await sendProblem(reply, request, verdict);
    return undefined;
  }

  app.get('/nix-cache-info', async (_request, reply) => reply.type('text/x-nix-cache-info').send(cacheInfo));

  app.get<{ Params: { file: string } }>('/:file', async (request, reply) => {
    const hashPart = narInfoName.exec(request.params.file)?.[1];
    const info = hashPart === undefined ? undefined : await store.infoByHashPart(hashPart);
    if (!info) return notFound(reply);
    return reply.type('text/x-nix-narinfo').send(renderNarInfo(info));
  });

  async function serveNar(
    request: FastifyRequest<{ Params: { file: string } }>,
    reply: FastifyReply,
    head: boolean,
  ) {
    const fileHash = zstdNarName.exec(request.params.file)?.[1];
    const opened = fileHash === undefined ? undefined : await store.compressedNar(fileHash);
    if (!opened) return notFound(reply);
    reply.type('application/x-nix-nar').header('content-length', opened.size);
    if (head) {
      opened.stream.destroy();
      return reply.send();
    }
    return reply.send(opened.stream);
  }
  app.get<{ Params: { file: string } }>('/nar/:file', { exposeHeadRoute: false }, (request, reply) =>
    serveNar(request, reply, false),
  );
  app.head<{ Params: { file: string } }>('/nar/:file', (request, reply) => serveNar(request, reply, true));

  app.get<{ Params: { drv: string } }>('/log/:drv', async (request, reply) => {
    if (!drvBaseName.test(request.params.drv)) return notFound(reply);
    const log = await store.readLog(`${store.storeDir}/${request.params.drv}`);
    if (!log) return notFound(reply);
    return reply.type('text/plain; charset=utf-8').send(log.stream);
  });

  app.put<{ Params: { file: string } }>('/nar/:file', async (request, reply) => {
    const actor = await authorize(request, reply);
    if (actor === undefined) return reply;
    await uploads.putNar(request.params.file, request.body as Readable);
    request.log.info({ actor, file: request.params.file }, 'NAR staged');
    return reply.code(204).send();
  });

  app.put<{ Params: { file: string } }>('/:file', async (request, reply) => {
    const actor = await authorize(request, reply);
    if (actor === undefined) return reply;
    const hashPart = narInfoName.exec(request.params.file)?.[1];
    // An upload to a name the cache never serves is a mistake of the uploader's, said as one.
    if (hashPart === undefined)
      throw new CacheError(
        'TALLY_CACHE_BAD_REQUEST',
        `'${request.params.file}' is not <nix32 store path hash>.narinfo`,
      );
    const { info, added } = await uploads.putNarInfo(hashPart, request.body as Readable);
    request.log.info({ actor, path: info.path, added }, added ? 'path uploaded' : 'path already valid');
    return reply
      .code(added ? 201 : 200)
      .send({ path: info.path, narHash: info.narHash, narSize: info.narSize });
  });
};
