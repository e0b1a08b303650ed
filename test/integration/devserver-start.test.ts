/**
 * Starting the Temporal dev server when it dies during start-up. The dev server picks its internal ports itself and
 * can lose one to another process on a busy machine; it then panics and exits with code 2. startDevServer retries
 * such an early exit a bounded number of times, says why, and when it gives up the error carries the server's own
 * panic line (which comes first in its output, before a long goroutine trace). A server that is up but never ready
 * is not retried. The real CLI is used wherever a server must actually come up.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { DEV_SERVER_START_ATTEMPTS, startDevServer } from '../../src/devserver/dev-server';
import { DevServerError, DevServerErrorCode } from '../../src/devserver/errors';
import { resolveTemporalCli } from '../../src/devserver/resolve-cli';

const scratch = mkdtempSync(join(tmpdir(), 'starwave-devserver-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const PANIC = 'panic: failed assigning ephemeral port: listen tcp 127.0.0.1:0: bind: address already in use';

/**
 * A stand-in for the CLI: counts its runs in `<name>.runs`; its first `panics` runs print a Go panic (the reason
 * first, then 80 lines of goroutine trace) and exit 2; later runs exec `then` with the same arguments, if given.
 */
function fakeCli(name: string, panics: number, then?: string): { path: string; runs: () => number } {
  const path = join(scratch, `${name}.sh`);
  const counter = join(scratch, `${name}.runs`);
  writeFileSync(counter, '');
  writeFileSync(
    path,
    [
      '#!/bin/sh',
      `echo run >> '${counter}'`,
      `n=$(wc -l < '${counter}')`,
      `if [ "$n" -le ${panics} ]; then`,
      `  echo '${PANIC}' >&2`,
      '  echo "" >&2',
      '  echo "goroutine 1 [running]:" >&2',
      '  i=0; while [ $i -lt 80 ]; do echo "go.uber.org/fx.(*module).executeInvoke(frame $i)" >&2; i=$((i+1)); done',
      '  exit 2',
      'fi',
      then ? `exec '${then}' "$@"` : 'exit 3',
      '',
    ].join('\n'),
  );
  chmodSync(path, 0o755);
  return { path, runs: () => readFileSync(counter, 'utf8').split('\n').filter(Boolean).length };
}

describe('startDevServer when the server exits during start-up', () => {
  it('starts it again on fresh ports, says why, and the server it returns answers', async () => {
    const real = (await resolveTemporalCli()).path;
    const cli = fakeCli('once', 1, real);
    const logged: string[] = [];
    const server = await startDevServer({ cliPath: cli.path, log: (line) => logged.push(line) });
    try {
      expect(cli.runs()).toBe(2);
      const retries = logged.filter((line) => line.includes('exited before it was ready'));
      expect(retries).toHaveLength(1);
      expect(retries[0]).toContain(`attempt 1 of ${DEV_SERVER_START_ATTEMPTS}`);
      expect(retries[0]).toContain(PANIC);
      const connection = await Connection.connect({ address: server.address });
      try {
        const answer = await connection.workflowService.describeNamespace({ namespace: 'default' });
        expect(answer.namespaceInfo?.name).toBe('default');
      } finally {
        await connection.close();
      }
    } finally {
      await server.stop();
    }
  });

  it('gives up after a bounded number of attempts with the panic line in the error, not only the trace', async () => {
    const cli = fakeCli('always', 1_000);
    const error = await startDevServer({ cliPath: cli.path }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(DevServerError);
    const devError = error as DevServerError;
    expect(devError.code).toBe(DevServerErrorCode.serverExited);
    expect(cli.runs()).toBe(DEV_SERVER_START_ATTEMPTS);
    expect(devError.serverReason).toBe(PANIC);
    expect(devError.message).toContain('exited before it was ready (code 2');
    expect(devError.message).toContain(PANIC);
    // The trace's end is kept too, and what was left out in between is said.
    expect(devError.message).toContain('executeInvoke(frame 79)');
    expect(devError.message).toMatch(/lines left out/);
  });

  it('does not retry a server that is up but never becomes ready', async () => {
    const path = join(scratch, 'silent.sh');
    const counter = join(scratch, 'silent.runs');
    writeFileSync(counter, '');
    writeFileSync(path, `#!/bin/sh\necho run >> '${counter}'\nexec sleep 30\n`);
    chmodSync(path, 0o755);
    const error = await startDevServer({ cliPath: path, startTimeoutMs: 1_000, stopGraceMs: 1_000 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect((error as DevServerError).code).toBe(DevServerErrorCode.serverStartTimeout);
    expect(readFileSync(counter, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
  });
});
