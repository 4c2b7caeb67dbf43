/** A user mistake in a configuration file: one readable message, never a stack trace. */
export class ConfigError extends Error {
  static readonly code = 'ERR_CONFIG';
  readonly code = 'ERR_CONFIG';
  readonly problems: readonly string[];

  constructor(file: string, problems: readonly string[]) {
    super(problems.length === 1
      ? `${file}: ${problems[0]}`
      : `${file}: ${problems.length} problems:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** `routes[0].upstream` from zod's `['routes', 0, 'upstream']`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(top level)';
}
