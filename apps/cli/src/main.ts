#!/usr/bin/env node
/**
 * `phantom`: one executable for every program.
 *   phantom edge  --config edge.yaml  [--check [--online]]
 *   phantom micro --config micro.yaml [--check [--online]]
 *   phantom dev-as [--port 4000]
 *   phantom pdp [--port 8181] [--rules rules.yaml]
 *   phantom demo
 *   phantom schema [--out deploy/schema]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = (path: string) => fileURLToPath(new URL(`../../../../${path}`, import.meta.url));
const PROGRAMS: Record<string, string> = {
  edge: '../../edge/src/main.js',
  micro: '../../micro/src/main.js',
  'dev-as': '../../dev-as/src/main.js',
  pdp: '../../pdp/src/main.js',
  demo: '../../demo/src/main.js',
  schema: './write-schemas.js',
};

const HELP = `usage: phantom <command> [options]

commands:
  edge    --config <file>   the edge gateway (opaque token in, audience JWT out)
  micro   --config <file>   a micro gateway (verifies the edge's JWTs for one domain)
  dev-as  [--port 4000]     the development Authorization Server (oidc-provider)
  pdp     [--rules <file>]  the development Policy Decision Point (AuthZEN 1.0)
  demo                      the whole demo topology on 127.0.0.1
  schema  [--out <dir>]     write the JSON Schemas of both configuration files

options of edge and micro:
  --check                   validate the configuration (and keys) and exit
  --check --online          also reach the AS discovery (edge) or the JWKS (micro)

  --help, --version
`;

function installed(name: string): boolean {
  try { import.meta.resolve(name); return true; } catch { return false; }
}

const [command] = process.argv.slice(2);
if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
  process.stdout.write(HELP);
} else if (command === '--version' || command === '-v') {
  const pkg = JSON.parse(readFileSync(root('package.json'), 'utf8')) as { version: string };
  process.stdout.write(`phantom-gateway ${pkg.version}\n`);
} else if (PROGRAMS[command]) {
  // the program reads its own options from argv, as if started directly
  process.argv.splice(2, 1);
  if ((command === 'dev-as' || command === 'demo') && !installed('oidc-provider')) {
    // a production install (npm ci --omit=dev, the container image) leaves the development AS out
    process.stderr.write(`phantom ${command}: the development Authorization Server needs oidc-provider, a development dependency that this production install leaves out; run \`npm install\` (without --omit=dev) in a source checkout, or build the image's "dev" target.\n`);
    process.exitCode = 2;
  } else {
    await import(PROGRAMS[command]!);
  }
} else {
  process.stderr.write(`phantom: unknown command "${command}"\n\n${HELP}`);
  process.exitCode = 2;
}
