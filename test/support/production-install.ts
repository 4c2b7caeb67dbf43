/**
 * A production install laid out the way `npm ci --omit=dev` lays it out: the
 * built programs (dist/apps, dist/libs), package.json, and node_modules with
 * exactly the lockfile's packages not marked `dev` (hard links, or copies
 * across file systems), so a module missing from the production set is
 * missing here too.
 */
import { cpSync, mkdirSync, readFileSync, copyFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { dist, tempDir } from './topology.js';

export const repoRoot = dist('../');

interface Lock { packages: Record<string, { dev?: boolean; devOptional?: boolean }> }

/** the lockfile paths (node_modules/…) a production install keeps */
export function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as Lock;
  return Object.entries(lock.packages).filter(([path, entry]) => path !== '' && !entry.dev && !entry.devOptional).map(([path]) => path);
}

function linkTree(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  const r = spawnSync('cp', ['-al', from, to]);
  if (r.status !== 0) cpSync(from, to, { recursive: true });
}

export function createProductionInstall(): string {
  const root = join(tempDir(), 'app');
  mkdirSync(root);
  copyFileSync(join(repoRoot, 'package.json'), join(root, 'package.json'));
  for (const part of ['apps', 'libs']) cpSync(dist(part), join(root, 'dist', part), { recursive: true });
  // top-level packages bring their nested node_modules along; nested entries are inside them already
  for (const path of productionPackages().filter((p) => !p.slice('node_modules/'.length).includes('node_modules/'))) {
    linkTree(join(repoRoot, path), join(root, path));
  }
  return root;
}
