/** Validation of what the emulator accepts from tests and the control API: every problem with its path. */
import { validate, type ValidationProblem } from './schemas';

export class EmulatorInputError extends Error {
  readonly code = 'EMULATOR_INVALID_INPUT';
  constructor(
    message: string,
    readonly problems: ValidationProblem[],
    /** The control API's status for it: 400 (invalid), 404 (unknown instance) or 409 (the instance's state forbids it). */
    readonly httpStatus: 400 | 404 | 409 = 400,
  ) {
    super(message);
    this.name = 'EmulatorInputError';
  }
}

export function mustValidate<T>(schema: Parameters<typeof validate<T>>[0], input: unknown, what: string): T {
  const result = validate(schema, input);
  if (!result.ok) {
    throw new EmulatorInputError(`Invalid ${what}: ${result.problems.map((p) => `${p.path || '(root)'}: ${p.message}`).join('; ')}`, result.problems);
  }
  return result.value;
}
