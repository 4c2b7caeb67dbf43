import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, formatPath } from './config-error.js';
import { substituteEnv } from './substitute-env.js';

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

/** Validates an already parsed document; every problem is gathered into one ConfigError. */
export function parseConfig<S extends z.ZodType>(file: string, doc: unknown, schema: S,
  env: Readonly<Record<string, string | undefined>> = {}): z.output<S> {
  const substituted = substituteEnv(doc, env);
  if (substituted.problems.length > 0) throw new ConfigError(file, substituted.problems);
  const result = schema.safeParse(substituted.value);
  if (!result.success) {
    throw new ConfigError(file, result.error.issues.map((issue) => {
      const where = formatPath(issue.path);
      if (issue.code === 'unrecognized_keys') return `${where}: unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      const message = issue.message.replace(/^Invalid input: /, '').replace(/^expected (\w+), received undefined$/, 'required ($1)');
      return `${where}: ${message}`;
    }));
  }
  return deepFreeze(result.data);
}

/**
 * Reads a YAML configuration file, substitutes `${ENV}` references, validates it
 * against the schema and returns the typed, deep-frozen result.
 */
export function loadConfig<S extends z.ZodType>(file: string, schema: S,
  env: Readonly<Record<string, string | undefined>> = {}): z.output<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? 'error'})`]);
  }
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    // the first error only: later ones are usually its echoes
    const [first] = document.errors;
    const at = first!.linePos?.[0];
    const message = first!.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigError(file, [`YAML syntax error at line ${at?.line ?? '?'}, column ${at?.col ?? '?'}: ${message}`]);
  }
  return parseConfig(file, document.toJS() ?? {}, schema, env);
}
