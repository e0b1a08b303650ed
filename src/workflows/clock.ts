/**
 * Workflow time. Inside a workflow, Temporal replaces `Date` with a deterministic clock: the time of
 * the current workflow task, identical on replay. This is the only place workflow code reads it.
 */
// lint-allow workflow-determinism: Date is replaced by Temporal's deterministic clock inside workflows
export function workflowNow(): number {
  // lint-allow workflow-determinism: this is the workflow task time, identical on replay
  return Date.now();
}
