/**
 * Control commands: pause, resume, cancel, approve, set, skip. Each sends the caller's identity
 * (`cli:<os user>`, shown in the report's audit), first checks that a worker polls the run's task
 * queue (so a missing worker is named at once), runs under --timeout (exit 3 with a sentence), and
 * replies with the state right after the action (the update's ControlAck).
 */
import { Option, type Command } from 'commander';
import * as sw from '../../client';
import type { TemporalTarget } from '../../client/connection';
import { EXIT, type ExitCode } from '../../contracts/errors';
import { act, arg, callerIdentity, examples, jsonOption, print, printJson, stdio, targetOf, withClient, type Io } from '../context';
import { parseDurationSeconds, parseInstanceId, parsePositiveInt, parseSetFlags, type SetFlags } from '../flags';
import { renderAck } from '../render/ack';

interface ControlFlags {
  json?: boolean;
  timeout?: number;
}

const timeoutOption = (): Option =>
  new Option('--timeout <duration>', `how long to wait for the worker's answer, e.g. 30s (default ${sw.DEFAULT_CONTROL_TIMEOUT_MS / 1000}s)`).argParser(arg((raw) => parseDurationSeconds('--timeout', raw) * 1000));

type Send = (client: Parameters<typeof sw.pause>[0], id: string, o: sw.ControlOptions) => Promise<sw.RunAck>;

/** Runs one control message and prints its acknowledgement. */
export async function controlCommand(target: TemporalTarget, action: string, id: string, send: Send, o: ControlFlags, io: Io): Promise<ExitCode> {
  const by = callerIdentity();
  return withClient(target, async (client) => {
    const ack = await send(client, id, { by, requireWorker: true, ...(o.timeout ? { timeoutMs: o.timeout } : {}) });
    if (o.json) printJson(io, { rolloutId: id, action, by, ...ack });
    else print(io, renderAck(id, ack, ack.runId));
    return EXIT.ok;
  });
}

function register(program: Command, name: string, description: string, lines: readonly string[]): Command {
  const c = program.command(name).description(description).argument('<rollout>', 'rollout id (starwave-rollout-…)').addOption(timeoutOption()).addOption(jsonOption());
  examples(c, lines);
  return c;
}

export function registerControl(program: Command): void {
  register(program, 'pause', 'Stop launching new restarts (restarts in flight finish); the rollout shows as paused', ['starwave pause starwave-rollout-nightly']).action(
    act((id: string, o: ControlFlags, c: Command) => controlCommand(targetOf(c), 'pause', id, sw.pause, o, stdio)),
  );
  register(program, 'resume', 'Resume launching restarts', ['starwave resume starwave-rollout-nightly']).action(
    act((id: string, o: ControlFlags, c: Command) => controlCommand(targetOf(c), 'resume', id, sw.resume, o, stdio)),
  );
  register(program, 'cancel', 'Cancel gracefully: the rollout is cancelling while restarts in flight finish; the rest is reported not started', [
    'starwave cancel starwave-rollout-nightly --reason "freeze for the release"',
  ])
    .option('--reason <text>', 'why (kept in the report)')
    .action(act((id: string, o: ControlFlags & { reason?: string }, c: Command) => controlCommand(targetOf(c), 'cancel', id, (cl, i, opts) => sw.cancel(cl, i, o.reason, opts), o, stdio)));
  register(program, 'approve', 'Open the approval gate before a wave', ['starwave approve starwave-rollout-nightly --wave 2'])
    .addOption(new Option('--wave <n>', '1-based wave number to approve').argParser(arg((raw) => parsePositiveInt('--wave', raw))).makeOptionMandatory())
    .action(act((id: string, o: ControlFlags & { wave: number }, c: Command) => controlCommand(targetOf(c), 'approve', id, (cl, i, opts) => sw.approve(cl, i, o.wave, opts), o, stdio)));
  register(program, 'set', 'Change concurrency and failure budgets of a running rollout (validated by the workflow)', [
    'starwave set starwave-rollout-nightly --concurrency 8 --per-region 3',
    'starwave set starwave-rollout-nightly --budget 2 --wave-budget 1',
  ])
    .option('--concurrency <n|%>', 'max instances down at once, e.g. 4 or "10%"')
    .option('--per-region <n|%>', 'max instances down at once per region')
    .option('--budget <n|%>', 'failures tolerated in the whole rollout')
    .option('--wave-budget <n|%>', 'failures tolerated per wave')
    .action(
      act(async (id: string, o: SetFlags & ControlFlags, c: Command) => {
        const patch = parseSetFlags(o);
        return controlCommand(targetOf(c), 'setLimits', id, (cl, i, opts) => sw.setLimits(cl, i, patch, opts), o, stdio);
      }),
    );
  const skip = register(program, 'skip', 'Release one instance by hand: a hung restart, or a down instance holding a slot (the rollout validates it)', [
    'starwave skip starwave-rollout-nightly c-b25e21e24388abcd',
  ]);
  skip.argument('<instance>', 'instance id (c-…)', arg((raw) => parseInstanceId('<instance>', raw)));
  skip.action(act((id: string, instanceId: string, o: ControlFlags, c: Command) => controlCommand(targetOf(c), 'skip', id, (cl, i, opts) => sw.skip(cl, i, instanceId, opts), o, stdio)));
}
