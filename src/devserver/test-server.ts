/**
 * Temporal's time-skipping test server for workflow tests, from Maven Central instead of temporal.download.
 *
 * `TestWorkflowEnvironment.createTimeSkipping()` normally downloads the test server binary from temporal.download.
 * That binary is Temporal's Java test server (sdk-java's `temporal-test-server`) compiled ahead of time; the same
 * server ships on Maven Central as `io.temporal:temporal-test-server`, main class `io.temporal.testserver.TestServer`,
 * arguments `<port> [--enable-time-skipping]`. Provisioning resolves it with its dependencies through Maven (a
 * generated pom, `dependency:copy-dependencies`) into the tool cache and writes a wrapper script that sdk-core runs
 * as an `existing-path` executable: sdk-core starts `<exe> <port> <extraArgs…>`, waits at most 5 s for the port to
 * answer, and kills that PID at teardown, so the wrapper `exec`s java (no shell left behind) and starts fast (an
 * AppCDS archive of the classes loaded at start, made once at provisioning).
 *
 * No `--enable-time-skipping`: the SDK's time-skipping client manages skipping itself (every `result()` is bracketed
 * by unlockTimeSkipping / lockTimeSkipping, and sdk-core starts the downloaded server as `<exe> <port>` too). With
 * the flag, measured here, a workflow sleeping one day failed within 2 s with "Workflow execution timed out": the
 * server skipped through its default 10-year execution timeout, apparently because skipping was unlocked from the
 * start and the client's own unlock left it unlocked while the workflow task was outstanding. Without the flag the
 * same workflow slept its day in 0.4 s of wall time.
 *
 *   const { path, extraArgs } = await resolveTimeSkippingServer();
 *   const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path }, extraArgs } });
 *
 * Layout: `<tool cache>/test-server/<version>/{pom.xml, lib/*.jar, app.jsa, temporal-test-server, ready.json}`, the
 * tool cache being `.temporal/` in a checkout (see paths.ts). `ready.json` is written last; a folder without it is
 * never trusted. Needs Java ≥ 11 and Maven (`mvn`) on PATH the first time only.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DevServerError, DevServerErrorCode } from './errors';
import { toolCacheDir } from './paths';
import { findOnPath, formatSeconds, forwardLines, freePort, noLog, tcpAccepts, type LogLine } from './process-utils';

/** Pinned release of io.temporal:temporal-test-server on Maven Central. */
export const TEST_SERVER_VERSION = '1.38.0';
export const TEST_SERVER_MAIN_CLASS = 'io.temporal.testserver.TestServer';
/** Pinned so that resolving the jars needs no plugin version lookup. */
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
const MIN_JAVA_MAJOR = 11;
const WRAPPER_NAME = 'temporal-test-server';

export interface TimeSkippingServer {
  /** The wrapper script to pass as `{ type: 'existing-path', path }`. */
  path: string;
  /** Arguments after the port: none (see the module comment on `--enable-time-skipping`). */
  extraArgs: string[];
}

export interface ResolveTimeSkippingServerOptions {
  /** Progress lines (Maven's output as `[mvn] …`, timings). Default: silent. */
  log?: LogLine;
  /** Folder that holds `test-server/<version>/`. Default: the tool cache (`.temporal/` in a checkout). */
  cacheDir?: string;
}

interface ReadyStamp {
  version: string;
  java: string;
  provisionedAt: string;
  provisionMs: number;
}

export function testServerDir(cacheDir: string = toolCacheDir()): string {
  return join(cacheDir, 'test-server', TEST_SERVER_VERSION);
}

/**
 * The time-skipping test server, provisioned once into the tool cache (a second call only checks `ready.json` and
 * that its java still exists). Throws {@link DevServerError} `TEMPORAL_TEST_SERVER_UNAVAILABLE` with one sentence when
 * Java or Maven is missing or Maven fails.
 */
export async function resolveTimeSkippingServer(opts: ResolveTimeSkippingServerOptions = {}): Promise<TimeSkippingServer> {
  const log = opts.log ?? noLog;
  const dir = testServerDir(opts.cacheDir);
  const result: TimeSkippingServer = { path: join(dir, WRAPPER_NAME), extraArgs: [] };
  const stamp = readStamp(dir);
  if (stamp && existsSync(stamp.java) && existsSync(result.path)) return result;

  const java = findJava();
  const mvn = findOnPath('mvn')[0];
  if (!mvn) {
    throw unavailable(
      `Maven is needed once to fetch io.temporal:temporal-test-server ${TEST_SERVER_VERSION} from Maven Central and there is no 'mvn' on PATH: install Maven (Debian: apt-get install maven) and run npm run temporal:test-server.`,
    );
  }
  await provision(dir, java, mvn, log);
  return result;
}

function readStamp(dir: string): ReadyStamp | undefined {
  try {
    const stamp = JSON.parse(readFileSync(join(dir, 'ready.json'), 'utf8')) as ReadyStamp;
    return stamp.version === TEST_SERVER_VERSION ? stamp : undefined;
  } catch {
    return undefined;
  }
}

function unavailable(message: string, cause?: unknown): DevServerError {
  return new DevServerError(DevServerErrorCode.testServerUnavailable, message, cause === undefined ? undefined : { cause });
}

/** Absolute path of a java ≥ {@link MIN_JAVA_MAJOR} on PATH. */
function findJava(): string {
  const java = findOnPath('java')[0];
  if (!java) {
    throw unavailable(
      `The time-skipping test server is Temporal's Java test server and there is no 'java' on PATH: install a Java runtime ${MIN_JAVA_MAJOR} or newer (Debian: apt-get install default-jre-headless).`,
    );
  }
  // `java -version` prints e.g. 'openjdk version "17.0.15" 2025-04-15' (or "1.8.0_392" for Java 8) on stderr.
  const out = spawnSync(java, ['-version'], { encoding: 'utf8', timeout: 30_000 });
  const match = /version "(?:1\.)?(\d+)/.exec(`${out.stderr}${out.stdout}`);
  const major = match ? Number(match[1]) : NaN;
  if (!(major >= MIN_JAVA_MAJOR)) {
    throw unavailable(`The time-skipping test server needs Java ${MIN_JAVA_MAJOR} or newer, and ${java} is ${match ? `Java ${major}` : 'not a working java'}.`);
  }
  return java;
}

function pomXml(): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by starwave (src/devserver/test-server.ts): the jars of Temporal's Java test server, nothing else. -->
<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.starwave</groupId>
  <artifactId>temporal-test-server-runtime</artifactId>
  <version>${TEST_SERVER_VERSION}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>${TEST_SERVER_VERSION}</version>
    </dependency>
  </dependencies>
</project>
`;
}

/**
 * The wrapper sdk-core runs: `exec java … TestServer "$@"`. The class path is listed jar by jar in a fixed order (an
 * AppCDS archive is only used when the class path matches the one it was made with). JIT tier 1 and the serial GC:
 * the server is small and must answer within sdk-core's 5 s on a busy 2-core machine.
 */
function wrapperScript(dir: string, java: string, jars: string[], withArchive: boolean): string {
  const classPath = jars.map((jar) => join(dir, 'lib', jar)).join(':');
  const archive = withArchive ? ` -XX:SharedArchiveFile='${join(dir, 'app.jsa')}' -Xlog:cds=off -Xlog:cds+dynamic=off` : '';
  return `#!/bin/sh
# Temporal's time-skipping test server (io.temporal:temporal-test-server ${TEST_SERVER_VERSION} from Maven Central),
# written by starwave's src/devserver/test-server.ts. Usage: ${WRAPPER_NAME} <port> [--enable-time-skipping]
# (the SDK's createTimeSkipping() needs it WITHOUT the flag: it locks and unlocks time skipping itself)
# exec: sdk-core stops the server by killing this PID, so no shell may stay in between.
exec '${java}' -Xshare:auto${archive} -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx512m \\
  -cp '${classPath}' ${TEST_SERVER_MAIN_CLASS} "$@"
`;
}

async function provision(dir: string, java: string, mvn: string, log: LogLine): Promise<void> {
  const began = Date.now();
  const parent = join(dir, '..');
  mkdirSync(parent, { recursive: true });
  // The jars are fetched into a private folder and renamed into place: an interrupted run never leaves a half-made
  // server where readStamp would trust it (that needs ready.json, written last).
  const staging = mkdtempSync(join(parent, `.provision-${TEST_SERVER_VERSION}-`));
  try {
    log(`Provisioning Temporal's time-skipping test server (io.temporal:temporal-test-server ${TEST_SERVER_VERSION}) with Maven into ${dir}...`);
    writeFileSync(join(staging, 'pom.xml'), pomXml());
    let started = Date.now();
    const code = await runLogged(
      mvn,
      ['-B', '-ntp', '-Dstyle.color=never', '-f', join(staging, 'pom.xml'), `${DEPENDENCY_PLUGIN}:copy-dependencies`, '-DincludeScope=runtime', `-DoutputDirectory=${join(staging, 'lib')}`],
      (line) => log(`  [mvn] ${line}`),
    );
    const jars = existsSync(join(staging, 'lib')) ? readdirSync(join(staging, 'lib')).filter((f) => f.endsWith('.jar')).sort() : [];
    if (code !== 0 || !jars.some((jar) => jar.startsWith('temporal-test-server-'))) {
      throw unavailable(
        `Maven could not fetch io.temporal:temporal-test-server ${TEST_SERVER_VERSION} (exit ${code}); see the [mvn] lines above (is Maven Central reachable, or a mirror set in ~/.m2/settings.xml?).`,
      );
    }
    log(`  fetched ${jars.length} jars in ${formatSeconds(Date.now() - started)}`);
    // An AppCDS archive is used only with the class path it was made with, so the folder moves to its final place
    // before the archive and the wrapper are made; ready.json, written last, is what makes it trusted.
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);

    started = Date.now();
    const archived = await makeStartupArchive(dir, java, jars, log);
    if (archived) log(`  startup archive (AppCDS) made in ${formatSeconds(Date.now() - started)}`);
    const wrapper = join(dir, WRAPPER_NAME);
    writeFileSync(wrapper, wrapperScript(dir, java, jars, archived));
    chmodSync(wrapper, 0o755);

    const stamp: ReadyStamp = { version: TEST_SERVER_VERSION, java, provisionedAt: new Date().toISOString(), provisionMs: Date.now() - began };
    writeFileSync(join(dir, 'ready.json'), `${JSON.stringify(stamp, null, 2)}\n`);
    log(`Provisioned the time-skipping test server in ${formatSeconds(Date.now() - began)}: ${wrapper}`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Starts the server once with `-XX:ArchiveClassesAtExit` until its port answers, then stops it (SIGTERM: the JVM
 * writes the archive on its way out). The archive makes later starts ~2.5x faster (measured here: 0.48 s → 0.18 s to
 * a listening port). Returns false (and the wrapper runs without it) when the JVM cannot make one.
 */
async function makeStartupArchive(dir: string, java: string, jars: string[], log: LogLine): Promise<boolean> {
  const archive = join(dir, 'app.jsa');
  const port = await freePort();
  const classPath = jars.map((jar) => join(dir, 'lib', jar)).join(':');
  const child = spawn(java, [`-XX:ArchiveClassesAtExit=${archive}`, '-Xlog:cds=off', '-Xlog:cds+dynamic=off', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-cp', classPath, TEST_SERVER_MAIN_CLASS, String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const tail: string[] = [];
  forwardLines(child.stderr, (line) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const deadline = Date.now() + 60_000;
  let listening = false;
  while (!listening && child.exitCode === null && Date.now() < deadline) {
    listening = await tcpAccepts('127.0.0.1', port, 500);
    if (!listening) await new Promise((r) => setTimeout(r, 100));
  }
  if (child.exitCode === null) child.kill('SIGTERM');
  const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 30_000).unref())]);
  if (!stopped) child.kill('SIGKILL');
  if (!listening) {
    throw unavailable(`Temporal's test server did not start with ${java} within 60 s: ${tail.join(' | ') || 'no output'}.`);
  }
  if (!existsSync(archive)) {
    log('  (this JVM wrote no startup archive; the server starts without one)');
    return false;
  }
  return true;
}

function runLogged(command: string, args: string[], onLine: LogLine): Promise<number | null> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    forwardLines(child.stdout, onLine);
    forwardLines(child.stderr, onLine);
    child.on('error', reject);
    child.on('close', resolvePromise);
  });
}
