import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const module = fileURLToPath(new URL('./heap-growth.js', import.meta.url));
/** limitHeapGrowth in a fresh node process (it sets a process-wide V8 flag): whether it set the step */
function applied(nodeFlags: string): boolean {
  const script = `import { limitHeapGrowth } from ${JSON.stringify(module)}; console.log(JSON.stringify(limitHeapGrowth(${JSON.stringify(nodeFlags)})));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as boolean;
}

// its effect on memory is measured by npm run bench:memory (the edge's RSS growth), not here
test('limitHeapGrowth applies its step unless the operator gave one (either spelling, among other flags)', () => {
  assert.equal(applied(''), true);
  assert.equal(applied('--max-old-space-size=512'), true);
  assert.equal(applied('--heap-growing-percent=50'), false);
  assert.equal(applied('--max-old-space-size=512 --heap_growing_percent=30'), false);
});
