import { readFileSync } from 'node:fs';

/** name and version from the project's package.json, plus the runtime */
export function versionInfo(program: string): Record<string, string> {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
  return { program, name: pkg.name, version: pkg.version, node: process.version };
}
