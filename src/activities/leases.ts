/** The lease registry as seen from activities: Update-with-Start on the registry workflow. */
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { LEASE_REGISTRY_ID_PREFIX, acquireLeasesUpdate, releaseLeasesUpdate } from '../contracts/messages';
import type { LeaseRegistry } from './deps';

export function temporalLeaseRegistry(client: Client, taskQueue: string): LeaseRegistry {
  const workflowId = `${LEASE_REGISTRY_ID_PREFIX}-${taskQueue}`;
  const startOp = () =>
    new WithStartWorkflowOperation('leaseRegistryWorkflow', {
      workflowId,
      taskQueue,
      args: [{ holders: {} }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
  return {
    acquire: (request) => client.workflow.executeUpdateWithStart(acquireLeasesUpdate, { args: [request], startWorkflowOperation: startOp() }),
    release: (holder) => client.workflow.executeUpdateWithStart(releaseLeasesUpdate, { args: [{ holder }], startWorkflowOperation: startOp() }),
    async isRunning(id) {
      try {
        const d = await client.workflow.getHandle(id).describe();
        return d.status.name === 'RUNNING';
      } catch {
        return false;
      }
    },
  };
}
