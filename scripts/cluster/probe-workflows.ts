/**
 * The workflow scripts/cluster-check.ts runs through restarts of the cluster's pieces: `steps` activities, one
 * second of durable timer between them. Bundled by the check's worker from this file.
 */
import { proxyActivities, sleep } from '@temporalio/workflow';

export interface ProbeActivities {
  /** Records that step `index` ran (in the check process) and returns it. */
  probeStep(index: number): Promise<number>;
}

const { probeStep } = proxyActivities<ProbeActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 1.5, maximumInterval: '2 seconds' },
});

export async function clusterProbeWorkflow(steps: number): Promise<number[]> {
  const done: number[] = [];
  for (let index = 0; index < steps; index++) {
    done.push(await probeStep(index));
    if (index < steps - 1) await sleep('1 second');
  }
  return done;
}
