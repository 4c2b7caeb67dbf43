/**
 * Writes the JSON Schemas of the edge and micro configuration files, for
 * editors (`# yaml-language-server: $schema=…`), and the README's
 * configuration tables generated from them. Tests keep both current.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { configTable, jsonSchemas, withConfigTable } from '../../../libs/config/index.js';

const { values } = parseArgs({ options: { out: { type: 'string', default: fileURLToPath(new URL('../../../../deploy/schema', import.meta.url)) } } });
mkdirSync(values.out, { recursive: true });
for (const [name, schema] of Object.entries(jsonSchemas())) {
  const file = join(values.out, `${name}.schema.json`);
  writeFileSync(file, `${JSON.stringify(schema, null, 2)}\n`);
  process.stdout.write(`wrote ${file}\n`);
}

const readme = fileURLToPath(new URL('../../../../README.md', import.meta.url));
let text = readFileSync(readme, 'utf8');
for (const [name, schema] of Object.entries(jsonSchemas())) {
  const next = withConfigTable(text, name, configTable(schema));
  if (next === undefined) { process.stdout.write(`README.md has no <!-- config:${name}:start/end --> markers; table not written\n`); continue; }
  text = next;
}
writeFileSync(readme, text);
process.stdout.write(`wrote the configuration tables in ${readme}\n`);
