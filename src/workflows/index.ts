/** Workflow entry points registered by the worker (the bundle's root). */
export { rolloutWorkflow } from './rollout';
export { waveWorkflow } from './wave';
export { leaseRegistryWorkflow } from './leases';
