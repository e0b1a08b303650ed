/** Public API of the StarRocks OpenAPI client (no Temporal here). */
export * from './status';
export * from './errors';
export * from './endpoints';
export * from './credentials';
export * from './client';
export * as schemas from './schemas';
export * as signer from './signer';
