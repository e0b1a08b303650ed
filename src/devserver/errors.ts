/**
 * The errors of src/devserver (the Temporal CLI, its dev server, the time-skipping test server). One class with a
 * stable `code`; match on the code, not on the message. Messages are sentences that say what to install or set.
 */

export const DevServerErrorCode = {
  /** No Temporal CLI could be found, built or downloaded. */
  cliNotFound: 'TEMPORAL_CLI_NOT_FOUND',
  /** `TEMPORAL_CLI_PATH` is set but does not point at a working Temporal CLI. */
  cliPathInvalid: 'TEMPORAL_CLI_PATH_INVALID',
  /** `go install` ran and failed. */
  buildFailed: 'TEMPORAL_CLI_BUILD_FAILED',
  /** The dev server process exited before its frontend accepted connections. */
  serverExited: 'TEMPORAL_DEV_SERVER_EXITED',
  /** The dev server did not accept connections within `startTimeoutMs`. */
  serverStartTimeout: 'TEMPORAL_DEV_SERVER_START_TIMEOUT',
  /** Java or Maven, needed to provision the time-skipping test server, is missing or failed. */
  testServerUnavailable: 'TEMPORAL_TEST_SERVER_UNAVAILABLE',
} as const;
export type DevServerErrorCode = (typeof DevServerErrorCode)[keyof typeof DevServerErrorCode];

/** Errors of this module; match on `code`, not on the message. */
export class DevServerError extends Error {
  override readonly name = 'DevServerError';
  constructor(
    readonly code: DevServerErrorCode,
    message: string,
    options?: { cause?: unknown; serverReason?: string },
  ) {
    super(message, options);
    if (options?.serverReason !== undefined) this.serverReason = options.serverReason;
  }

  /** For a server that stopped: its own first panic or error line, when it printed one. */
  readonly serverReason?: string;
}
