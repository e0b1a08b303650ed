/** Workflow entry points registered by the worker (the bundle's root). */
export { rolloutWorkflow } from './rollout';
export { leaseRegistryWorkflow } from './leases';
