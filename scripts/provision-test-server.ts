/**
 * `npm run temporal:test-server` — provision Temporal's time-skipping test server (the Java test server from Maven
 * Central, see src/devserver/test-server.ts) into .temporal/test-server/ once, and say where it is and how long it
 * took. CI runs it before the tests; a second run returns at once.
 */
import { DevServerError } from '../src/devserver/errors';
import { formatSeconds } from '../src/devserver/process-utils';
import { resolveTimeSkippingServer, TEST_SERVER_VERSION } from '../src/devserver/test-server';

async function main(): Promise<void> {
  const started = Date.now();
  const server = await resolveTimeSkippingServer({ log: (line) => console.log(line) });
  console.log(
    `Time-skipping test server (io.temporal:temporal-test-server ${TEST_SERVER_VERSION}): ${server.path}` +
      `${server.extraArgs.length ? ` ${server.extraArgs.join(' ')}` : ''} (resolved in ${formatSeconds(Date.now() - started)})`,
  );
}

main().catch((err: unknown) => {
  const code = err instanceof DevServerError ? ` [${err.code}]` : '';
  console.error(`error${code}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
