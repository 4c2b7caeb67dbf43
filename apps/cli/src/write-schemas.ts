/**
 * Writes the JSON Schemas of the edge and micro configuration files, for
 * editors (`# yaml-language-server: $schema=…`). A test keeps the committed
 * files equal to what this produces.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { jsonSchemas } from '../../../libs/config/index.js';

const { values } = parseArgs({ options: { out: { type: 'string', default: fileURLToPath(new URL('../../../../deploy/schema', import.meta.url)) } } });
mkdirSync(values.out, { recursive: true });
for (const [name, schema] of Object.entries(jsonSchemas())) {
  const file = join(values.out, `${name}.schema.json`);
  writeFileSync(file, `${JSON.stringify(schema, null, 2)}\n`);
  process.stdout.write(`wrote ${file}\n`);
}
