/**
 * The README's configuration tables, generated from the JSON Schemas (so from
 * the zod schemas and their `.describe()` texts): one row per setting, with
 * its type, default and description. `phantom schema` writes them between
 * `<!-- config:<name>:start -->` and `<!-- config:<name>:end -->`.
 */
interface Node {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, Node>;
  required?: string[];
  items?: Node;
  additionalProperties?: Node | boolean;
  anyOf?: Node[];
  oneOf?: Node[];
  allOf?: Node[];
}

type Row = [key: string, type: string, fallback: string, description: string];

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function typeOf(node: Node): string {
  if (node.enum) return node.enum.map((v) => `\`${String(v)}\``).join(' | ');
  if (node.const !== undefined) return `\`${String(node.const)}\``;
  const branches = node.anyOf ?? node.oneOf;
  if (branches) return [...new Set(branches.map(typeOf))].join(' or ');
  if (node.type === 'array') return `${node.items ? typeOf(node.items) : 'any'} list`;
  if (node.type === 'object' && node.additionalProperties && typeof node.additionalProperties === 'object' && !node.properties) return 'map';
  return Array.isArray(node.type) ? node.type.join(' or ') : (node.type ?? 'any');
}

/** an object to descend into: itself, or the object branch of a union */
function objectOf(node: Node): Node | undefined {
  if (node.properties) return node;
  for (const branch of node.anyOf ?? node.oneOf ?? node.allOf ?? []) { const o = objectOf(branch); if (o) return o; }
  return undefined;
}

function walk(node: Node, path: string, required: boolean, rows: Row[]): void {
  const object = objectOf(node);
  if (object?.properties) {
    if (node.description && path) rows.push([path, 'object', required && node.default === undefined ? 'required' : 'optional', node.description]);
    const need = new Set(object.required ?? []);
    for (const [key, child] of Object.entries(object.properties)) walk(child, path ? `${path}.${key}` : key, need.has(key), rows);
    return;
  }
  if (node.type === 'array' && node.items && objectOf(node.items)) { walk(node.items, `${path}[]`, required, rows); return; }
  const values = node.additionalProperties;
  if (node.type === 'object' && values && typeof values === 'object' && objectOf(values)) { walk(values, `${path}.<name>`, required, rows); return; }
  const fallback = node.default !== undefined ? `\`${JSON.stringify(node.default)}\`` : required ? 'required' : 'optional';
  rows.push([path, typeOf(node), fallback, node.description ?? '']);
}

/** The markdown table of one configuration schema. */
export function configTable(schema: object): string {
  const rows: Row[] = [];
  walk(schema as Node, '', true, rows);
  return ['| key | type | default | meaning |', '|---|---|---|---|',
    ...rows.map(([k, t, d, m]) => `| \`${k}\` | ${cell(t)} | ${cell(d)} | ${cell(m)} |`)].join('\n');
}

/** `text` with the part between the markers of `name` replaced by `table`; undefined when the markers are missing. */
export function withConfigTable(text: string, name: string, table: string): string | undefined {
  const start = `<!-- config:${name}:start -->`;
  const end = `<!-- config:${name}:end -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) return undefined;
  return `${text.slice(0, i + start.length)}\n${table}\n${text.slice(j)}`;
}
