/**
 * The derivation model, bit-compatible with Nix: ATerm `.drv` files, Nix base-32 and hashes, store
 * paths (text, source, fixed-output, input-addressed through the hash modulo), NAR streams, narinfo
 * and ed25519 signatures. Pure: bytes in, bytes out.
 */
export * from './aterm-parse.ts';
export * from './aterm-print.ts';
export * from './bytes.ts';
export * from './derivation.ts';
export * from './errors.ts';
export * from './hash.ts';
export * from './hash-modulo.ts';
export * from './instantiate.ts';
export * from './nar-events.ts';
export * from './nar-hash.ts';
export * from './nar-parse.ts';
export * from './nar-serialize.ts';
export * from './narinfo.ts';
export * from './nix32.ts';
export * from './signing.ts';
export * from './store-path.ts';
