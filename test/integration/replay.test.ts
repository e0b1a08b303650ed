/**
 * Replays histories recorded from real runs (test/fixtures/histories, `npm run histories:record`)
 * with the current workflow code: a change to the workflow or the engine that would break a
 * running rollout — a different command, a different order — fails here before it ships.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { workflowsPath } from '../../src/worker/worker';
import { workflowWebpackConfig } from '../../src/worker/bundle-options';

const DIR = join(__dirname, '..', 'fixtures', 'histories');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
let bundle: Awaited<ReturnType<typeof bundleWorkflowCode>>;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const silent = () => {};
  bundle = await bundleWorkflowCode({ workflowsPath: workflowsPath(), webpackConfigHook: workflowWebpackConfig, logger: { log: silent, trace: silent, debug: silent, info: silent, warn: silent, error: silent } });
}, 120_000);

describe('replay of recorded rollouts', () => {
  it('has fixtures for every ending and for continue-as-new', () => {
    expect(files).toEqual(expect.arrayContaining(['basic.json', 'faults.json', 'control.json', 'waits.json', 'health.json', 'continue-as-new-run1.json', 'continue-as-new-run2.json', 'continue-as-new-deflated-run1.json', 'continue-as-new-deflated-run2.json', 'compact-resolve.json']));
  });

  for (const file of files) {
    it(`replays ${file} without a nondeterminism error`, async () => {
      const history = JSON.parse(readFileSync(join(DIR, file), 'utf8'));
      // Throws DeterminismViolationError (or a workflow task failure) when the code no longer fits the history.
      await Worker.runReplayHistory({ workflowBundle: bundle }, history, `replay-${file}`);
    }, 60_000);
  }
});
