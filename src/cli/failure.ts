/**
 * The one place that turns an error into what `starwave` prints and the exit code it ends with.
 * Exit codes come from the error registry (src/contracts/errors.ts, StarwaveError.exitCode): the
 * CLI matches on stable codes, never on message text. Secrets are redacted from every sentence.
 */
import { toStarwaveError } from '../client/errors';
import { loadEnv } from '../config/env';
import { EXIT, type ExitCode } from '../contracts/errors';
import { redactSecrets } from '../starrocks/errors';

export interface Failure {
  /** What to print on stderr: one sentence (plus problem lines) saying what went wrong and what to do. */
  message: string;
  exitCode: ExitCode;
  code: string;
}

/** Follow-up advice per code, appended when the message does not already carry it. */
const HINTS: Partial<Record<string, string>> = {
  ERR_TIMEOUT: 'Nothing is known to have changed; check the worker\'s log, then retry (or give a longer --timeout).',
  ERR_SPEC_INVALID: 'Nothing was started.',
};

export function describeFailure(err: unknown): Failure {
  const e = toStarwaveError(err);
  let message = e.message.trim();
  const hint = HINTS[e.code];
  // Problem lists end in a line of their own; a sentence gets the hint after it.
  if (hint && !message.includes(hint)) message = message.includes('\n') ? `${message}\n${hint}` : `${message} ${hint}`;
  return { message: redact(message), exitCode: e.code === 'ERR_INTERNAL' ? EXIT.rolloutNotCompleted : e.exitCode, code: e.code };
}

function redact(text: string): string {
  try {
    return redactSecrets(text, loadEnv().secrets);
  } catch {
    return text; // an invalid environment is reported on its own; nothing of it is in this text
  }
}

/** Writes the failure's sentence to `err` and returns its exit code. */
export function reportFailure(err: unknown, stream: NodeJS.WritableStream = process.stderr): ExitCode {
  const f = describeFailure(err);
  stream.write(`${f.message}\n`);
  return f.exitCode;
}
