/**
 * `starwave worker` as a real process (src/cli/main.ts, so that it bundles the workflows itself even where
 * `npm run build` left a prebuilt bundle) on the run's dev server:
 * one WARN line when no credential source resolves (naming the variables, never a value), webpack's
 * statistics only at DEBUG, and failure lines that carry the failure's message with secrets redacted.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpec } from '../../src/contracts/spec';
import { fleet, startStack, type Stack } from '../support/stack';
import { temporalAddress, uniqueId, uniqueTaskQueue } from '../support/temporal';
import { spawnCli, stackEnv, waitFor } from './cli-support';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack(fleet(['cn-hangzhou'], 1, 300), { startWorker: false });
});
afterAll(async () => {
  await stack?.close();
});

/** Every credential source of the chain switched off: no variables, an empty home, no ECS metadata. */
const noCredentials = {
  ALIBABA_CLOUD_ACCESS_KEY_ID: undefined,
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: undefined,
  ALIBABA_CLOUD_SECURITY_TOKEN: undefined,
  ALIBABA_CLOUD_PROFILE: undefined,
  ALIBABA_CLOUD_CREDENTIALS_FILE: undefined,
  ALIBABA_CLOUD_ROLE_ARN: undefined,
  ALIBABA_CLOUD_OIDC_PROVIDER_ARN: undefined,
  ALIBABA_CLOUD_OIDC_TOKEN_FILE: undefined,
  ALIBABA_CLOUD_CREDENTIALS_URI: undefined,
  ALIBABA_CLOUD_ECS_METADATA: undefined,
  ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
  HOME: mkdtempSync(join(tmpdir(), 'starwave-home-')),
};

type Line = { level: string; msg: string; [k: string]: unknown };
const lines = (stderr: string): Line[] => stderr.split('\n').flatMap((l) => (l.startsWith('{') ? [JSON.parse(l) as Line] : []));

async function worker(env: Record<string, string | undefined>) {
  const p = spawnCli(['worker'], { ...env, STARWAVE_WORKFLOW_BUNDLE: undefined }, { entry: 'source' });
  await waitFor(() => (p.output().stderr.includes('starwave worker polling task queue') ? true : undefined), 'the worker to poll', 60_000);
  return {
    ...p,
    async stop(): Promise<string> {
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      return p.output().stderr;
    },
  };
}

describe('starwave worker logs', () => {
  it('warns once when no credentials resolve, naming the variables and no value; keeps webpack statistics out of INFO', async () => {
    const w = await worker({ ...stackEnv(stack, noCredentials), STARWAVE_TASK_QUEUE: uniqueTaskQueue('nocred'), STARWAVE_LOG_LEVEL: 'INFO' });
    const stderr = await w.stop();
    const warns = lines(stderr).filter((l) => l.level === 'WARN' && /credentials/i.test(l.msg));
    expect(warns).toHaveLength(1);
    expect(warns[0]!.msg).toMatch(/^No Alibaba Cloud credentials resolve, so every StarRocks call of this worker will fail until they do: /);
    for (const name of ['ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET']) expect(warns[0]!.msg).toContain(name);
    expect(lines(stderr).some((l) => l.msg === 'Workflow bundle created')).toBe(true);
    expect(stderr).not.toMatch(/webpack \d+\.\d+\.\d+ compiled|asset workflow-bundle/);
  });

  it('puts a failure’s message into its line, redacts secrets, and shows webpack statistics at DEBUG', async () => {
    const taskQueue = uniqueTaskQueue('logs');
    const secret = 'zzsecret7';
    const w = await worker({ ...stackEnv(stack), STARWAVE_TASK_QUEUE: taskQueue, STARWAVE_LOG_LEVEL: 'DEBUG', STARWAVE_PROBE_TOKEN: secret, TEMPORAL_ADDRESS: temporalAddress() });
    try {
      expect(lines(w.output().stderr).filter((l) => l.level === 'WARN' && /credentials/i.test(l.msg))).toEqual([]);
      // A region this worker cannot reach: its resolve activity fails for good, with the region in the sentence.
      const spec = parseSpec({ name: uniqueId('unreachable'), targets: { selectors: [{ regions: [`cn-${secret}`] }] } });
      const handle = await stack.client.workflow.start('rolloutWorkflow', { taskQueue, workflowId: `starwave-rollout-${spec.name}`, args: [{ spec }] });
      await handle.result().catch(() => undefined);
      await waitFor(() => (lines(w.output().stderr).some((l) => l.msg.startsWith('Activity failed: ')) ? true : undefined), 'the failure line');
    } finally {
      const stderr = await w.stop();
      const failed = lines(stderr).find((l) => l.msg.startsWith('Activity failed: '))!;
      expect(failed.level).toBe('WARN');
      expect(failed.msg).toContain('The spec names region(s) this worker cannot reach');
      expect(failed.msg).toContain('unknown region "cn-[REDACTED]"');
      expect((failed['error'] as { message: string }).message).toContain('cn-[REDACTED]');
      expect(stderr).not.toContain(secret);
      expect(lines(stderr).some((l) => l.level === 'DEBUG' && /webpack \d+\.\d+\.\d+ compiled/.test(l.msg))).toBe(true);
    }
  });
});
