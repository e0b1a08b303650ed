/**
 * Reading a spec file (JSON or YAML): I/O here, validation in src/planning/spec (pure). Every problem is
 * listed by path; nothing is started on a bad file.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { formatProblems, validateSpec, type RolloutSpec } from '../planning/spec';
import { CliError, EXIT } from './errors';

/** Parses JSON or YAML text (JSON is YAML, but JSON errors read better from JSON.parse). */
export function parseSpecText(text: string, source: string): unknown {
  const trimmed = text.trimStart();
  try {
    return trimmed.startsWith('{') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new CliError(`${source} is not valid JSON or YAML (${err instanceof Error ? err.message.split('\n')[0] : String(err)}).`, EXIT.invalidInput, 'ERR_SPEC_UNREADABLE');
  }
}

export function loadSpecFile(path: string, read: (p: string) => string = (p) => readFileSync(p, 'utf8')): RolloutSpec {
  let text: string;
  try {
    text = read(path);
  } catch (err) {
    const reason = err instanceof Error && 'code' in err && err.code === 'ENOENT' ? 'no such file' : err instanceof Error ? err.message : String(err);
    throw new CliError(`Cannot read the spec file ${path} (${reason}).`, EXIT.invalidInput, 'ERR_SPEC_UNREADABLE');
  }
  const result = validateSpec(parseSpecText(text, path));
  if (!result.ok) throw new CliError(`${path}: ${formatProblems(result.problems)}\nNothing was started.`, EXIT.invalidInput, 'ERR_SPEC_INVALID');
  return result.spec;
}
