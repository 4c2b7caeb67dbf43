/**
 * A ConfigMap or Secret volume laid out on disk the way kubelet's AtomicWriter
 * does it, on real files:
 *   dir/..2026_11_25_16_30_00.000000001/edge.yaml   the payload
 *   dir/..data -> ..2026_11_25_16_30_00.000000001
 *   dir/edge.yaml -> ..data/edge.yaml
 * An update writes a new timestamped directory, points a new `..data_tmp`
 * symlink at it, renames that over `..data` (atomic) and removes the old one.
 */
import { mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync, existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';

let sequence = 0;
function timestamped(): string {
  const d = new Date();
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `..${d.getUTCFullYear()}_${pad(d.getUTCMonth() + 1)}_${pad(d.getUTCDate())}_${pad(d.getUTCHours())}_${pad(d.getUTCMinutes())}_${pad(d.getUTCSeconds())}.${pad(++sequence, 9)}`;
}

/** writes (or updates) the volume at `dir` with these files, exactly as kubelet would */
export function writeKubeletVolume(dir: string, files: Record<string, string | Buffer>): void {
  mkdirSync(dir, { recursive: true });
  const next = timestamped();
  mkdirSync(join(dir, next));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, next, name), content, { mode: 0o644 });
  const data = join(dir, '..data');
  const previous = existsSync(data) ? readlinkSync(data) : undefined;
  symlinkSync(next, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), data);
  for (const name of Object.keys(files)) {
    const link = join(dir, name);
    if (!existsLink(link)) symlinkSync(join('..data', name), link);
  }
  if (previous) rmSync(join(dir, previous), { recursive: true, force: true });
}

function existsLink(path: string): boolean {
  try { return lstatSync(path).isSymbolicLink(); } catch { return false; }
}
