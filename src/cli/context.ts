/**
 * What every subcommand shares: where output goes, how Temporal is reached (global flags), the task
 * queue, the caller's identity sent with every control message, the action wrapper that maps
 * errors to exit codes (through failure.ts), and the options and help texts used everywhere.
 */
import { userInfo } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Client } from '@temporalio/client';
import { connectClient, type TemporalTarget } from '../client/connection';
import { DEFAULT_TASK_QUEUE, loadEnv } from '../config/env';
import type { ExitCode } from '../contracts/errors';
import { reportFailure } from './failure';

export interface Io {
  out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  err: NodeJS.WritableStream;
}
export const stdio: Io = { out: process.stdout, err: process.stderr };

export function print(io: Io, text: string | readonly string[]): void {
  io.out.write(`${typeof text === 'string' ? text : text.join('\n')}\n`);
}
export function printJson(io: Io, value: unknown): void {
  print(io, JSON.stringify(value, null, 2));
}

interface GlobalOpts {
  address?: string;
  namespace?: string;
  profile?: string;
}

/** The Temporal target from the global flags (the environment and profiles fill in the rest). */
export function targetOf(command: Command): TemporalTarget {
  const g = command.optsWithGlobals<GlobalOpts>();
  return { ...(g.address ? { address: g.address } : {}), ...(g.namespace ? { namespace: g.namespace } : {}), ...(g.profile ? { profile: g.profile } : {}) };
}

/** --task-queue, else STARWAVE_TASK_QUEUE, else "starwave". */
export function taskQueueOf(flag: string | undefined): string {
  return flag ?? (loadEnv().taskQueue || DEFAULT_TASK_QUEUE);
}

/** Who asks, as shown in reports' audit: `cli:<os user>`. */
export function callerIdentity(): string {
  try {
    return `cli:${userInfo().username || 'unknown'}`;
  } catch {
    return 'cli:unknown'; // no passwd entry (some containers)
  }
}

/** Connects, runs `fn`, closes the connection. */
export async function withClient<T>(target: TemporalTarget, fn: (client: Client) => Promise<T>, opts: { connectTimeoutMs?: number } = {}): Promise<T> {
  const { client, connection } = await connectClient(target, opts);
  try {
    return await fn(client);
  } finally {
    await connection.close().catch(() => {});
  }
}

/** Runs a command's action; a thrown error becomes its sentence on stderr and its exit code. */
export function act<A extends unknown[]>(fn: (...args: A) => Promise<ExitCode>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      process.exitCode = await fn(...args);
    } catch (err) {
      process.exitCode = reportFailure(err);
    }
  };
}

/** Adapts a pure flag parser (which throws a StarwaveError sentence) to commander's argument parser. */
export function arg<T>(parse: (raw: string) => T): (raw: string) => T {
  return (raw) => {
    try {
      return parse(raw);
    } catch (err) {
      throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
    }
  };
}

export const jsonOption = (what = 'print JSON instead of text'): Option => new Option('--json', what);
export const taskQueueOption = (): Option =>
  new Option('--task-queue <name>', `Temporal task queue of the starwave workers (default: STARWAVE_TASK_QUEUE, else "${DEFAULT_TASK_QUEUE}")`);

/** Adds an "Examples:" block to a command's --help. */
export function examples(command: Command, lines: readonly string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}
