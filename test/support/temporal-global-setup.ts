/**
 * vitest globalSetup of the e2e project: ONE Temporal dev server for the whole run (headless, free port, in-memory),
 * handed to tests through `inject('temporalAddress')`. Set STARWAVE_TEMPORAL_ADDRESS to reuse a running server.
 */
import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };
import { startDevServer, type DevServer } from '../../src/devserver/temporal-cli';

declare module 'vitest' {
  export interface ProvidedContext {
    /** host:port of the Temporal frontend every e2e test talks to. */
    temporalAddress: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const existing = process.env['STARWAVE_TEMPORAL_ADDRESS'];
  if (existing) {
    process.stderr.write(`[e2e] using the Temporal server at ${existing} (STARWAVE_TEMPORAL_ADDRESS)\n`);
    project.provide('temporalAddress', existing);
    return async () => {};
  }

  const started = Date.now();
  const server: DevServer = await startDevServer({
    port: 0,
    uiPort: false,
    log: (line) => process.stderr.write(`[e2e] ${line}\n`),
  });
  process.stderr.write(
    `[e2e] Temporal dev server ready at ${server.address} (pid ${server.pid}) in ${Date.now() - started} ms\n`,
  );
  project.provide('temporalAddress', server.address);
  return async () => {
    await server.stop();
  };
}
