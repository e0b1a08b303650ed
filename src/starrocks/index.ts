/** Public API of the StarRocks OpenAPI client and the data-plane probes (no Temporal here). */
export * from './status';
export * from './errors';
export * from './endpoints';
export * from './credentials';
export * from './client';
export * from './dataplane';
export * as schemas from './schemas';
export * as signer from './signer';
