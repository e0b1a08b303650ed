/**
 * Compatibility for src/api, which still imports `CliError`, `EXIT` and `toCliError` from here while
 * it is rebuilt on src/client and src/contracts. The CLI itself maps errors in ./failure.ts; delete
 * this file once nothing imports it.
 */
import { toStarwaveError } from '../client/errors';
import { EXIT, StarwaveError, isErrorCode, type ExitCode } from '../contracts/errors';

export { EXIT, EXIT_CODES_HELP, type ExitCode } from '../contracts/errors';

/** @deprecated throw a StarwaveError with a registry code instead. */
export class CliError extends StarwaveError {
  constructor(message: string, exitCode: ExitCode = EXIT.invalidInput, code?: string) {
    super(code && isErrorCode(code) ? code : exitCode === EXIT.unreachable ? 'ERR_TEMPORAL_UNREACHABLE' : exitCode === EXIT.invalidInput ? 'ERR_FLAG_INVALID' : 'ERR_INTERNAL', message);
  }
}

/** @deprecated use toStarwaveError from src/client. */
export const toCliError = toStarwaveError;
