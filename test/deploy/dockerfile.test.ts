/**
 * No container runtime here: the Dockerfile is parsed and checked, and its
 * HEALTHCHECK command is run against a real edge's admin port.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnProgram, type Program } from '../../libs/process/index.js';
import { SCRIPTS, edgeConfig, freePort, tempDir, writeYaml } from '../support/topology.js';
import { repoRoot } from '../support/production-install.js';

interface Instruction { op: string; args: string }
interface Stage { name: string; from: string; body: Instruction[] }

/** Dockerfile → stages of instructions (continuation lines joined, comments and parser directives dropped) */
function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw)) continue;
    const line = raw.trimEnd();
    if (line.endsWith('\\')) { current += line.slice(0, -1) + ' '; continue; }
    current += line;
    if (current.trim()) logical.push(current.trim());
    current = '';
  }
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, op, rest] = /^(\S+)\s*(.*)$/.exec(line)!;
    const upper = op!.toUpperCase();
    if (upper === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest!)!;
      const from = m[1]!.replace(/\$\{(\w+)\}/g, (_, name: string) => args.get(name) ?? '');
      stages.push({ name: m[2] ?? String(stages.length), from, body: [] });
    } else if (stages.length === 0) {
      assert.equal(upper, 'ARG', `only ARG may precede the first FROM, found ${upper}`);
      const [name, value] = rest!.split('=');
      args.set(name!, value ?? '');
    } else {
      stages.at(-1)!.body.push({ op: upper, args: rest! });
    }
  }
  return { args, stages };
}

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
const { stages } = parseDockerfile(dockerfile);
const final = stages.at(-1)!;
const all = (stage: Stage, op: string) => stage.body.filter((i) => i.op === op);
const one = (stage: Stage, op: string) => {
  const found = all(stage, op);
  assert.equal(found.length, 1, `stage ${stage.name}: expected one ${op}, found ${found.length}`);
  return found[0]!.args;
};
const exec = (args: string) => JSON.parse(args) as string[];

describe('Dockerfile', () => {
  const started: Program[] = [];
  after(async () => { await Promise.all(started.map((p) => p.stop())); });

  test('multi-stage: builds with the lockfile, and the default (last) stage is the runtime from a slim Node.js 20 base', () => {
    assert.ok(stages.length >= 3, `stages: ${stages.map((s) => s.name).join(', ')}`);
    assert.equal(final.name, 'runtime');
    assert.match(final.from, /^node:20[.\d]*-(bookworm|bullseye)-slim$|^node:20[.\d]*-slim$/);
    const build = stages.find((s) => s.name === 'build')!;
    assert.ok(all(build, 'COPY').some((c) => c.args.includes('package-lock.json')), 'the build copies the lockfile');
    assert.ok(all(build, 'RUN').some((r) => /\bnpm ci\b/.test(r.args)), 'the build installs with npm ci');
    assert.ok(all(build, 'RUN').some((r) => /npm run build/.test(r.args)));
  });

  test('the final stage has production dependencies only: node_modules from an `npm ci --omit=dev` stage, no install of its own', () => {
    assert.equal(all(final, 'RUN').length, 0, 'the runtime stage runs nothing (no package manager, nothing to clean up)');
    const copies = all(final, 'COPY');
    const modules = copies.filter((c) => /node_modules/.test(c.args));
    assert.equal(modules.length, 1);
    const from = /--from=(\S+)/.exec(modules[0]!.args)?.[1];
    const source = stages.find((s) => s.name === from);
    assert.ok(source, `node_modules comes from stage ${from}`);
    assert.ok(all(source, 'RUN').some((r) => /\bnpm ci\b.*--omit=dev/.test(r.args)), `stage ${from} installs with npm ci --omit=dev`);
    assert.ok(all(source, 'COPY').every((c) => !/\b(apps|libs|dist)\b/.test(c.args)), 'only package files go into the production dependency stage');
    for (const c of copies) {
      const src = c.args.replace(/--\S+\s+/g, '').split(/\s+/)[0]!;
      assert.match(src, /^(\/app\/node_modules|\/app\/dist\/apps|\/app\/dist\/libs|package\.json)$/, `unexpected COPY into the runtime: ${c.args}`);
    }
    assert.doesNotMatch(final.body.map((i) => i.args).join('\n'), /oidc-provider|pino-pretty|typescript/);
  });

  test('non-root numeric USER, STOPSIGNAL SIGTERM, the CLI as entrypoint running the edge by default, OCI labels', () => {
    const user = one(final, 'USER');
    const [uid, gid] = user.split(':');
    assert.match(uid!, /^\d+$/, 'numeric uid (Kubernetes runAsNonRoot can verify it)');
    assert.notEqual(Number(uid), 0);
    assert.notEqual(Number(gid ?? 1), 0);
    assert.equal(one(final, 'STOPSIGNAL'), 'SIGTERM');
    assert.deepEqual(exec(one(final, 'ENTRYPOINT')), ['node', 'dist/apps/cli/src/main.js']);
    assert.ok(existsSync(join(repoRoot, 'dist/apps/cli/src/main.js')));
    assert.deepEqual(exec(one(final, 'CMD')).slice(0, 2), ['edge', '--config']);
    const labels = all(final, 'LABEL').map((l) => l.args).join(' ');
    for (const key of ['version', 'source', 'revision', 'licenses']) assert.match(labels, new RegExp(`org\\.opencontainers\\.image\\.${key}=`));
    // the user stage after the last file-system change: the image's files stay root-owned and read-only to the process
    const ops = final.body.map((i) => i.op);
    assert.ok(ops.lastIndexOf('USER') > ops.lastIndexOf('COPY'));
    assert.equal(all(final, 'VOLUME').length, 0, 'no anonymous volumes: the programs write nothing');
  });

  test('.dockerignore keeps everything out but what the build copies', () => {
    const ignore = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    assert.equal(ignore[0], '*');
    const copied = stages.flatMap((s) => all(s, 'COPY')).filter((c) => !c.args.includes('--from')).flatMap((c) => c.args.split(/\s+/).slice(0, -1));
    for (const src of copied) assert.ok(ignore.includes(`!${src}`) || ignore.includes(`!${src}/`), `${src} is copied but ignored`);
    for (const secret of ['node_modules', 'dist', '.git', 'deploy']) assert.ok(!ignore.includes(`!${secret}`) && !ignore.includes(`!${secret}/`));
  });

  test('the HEALTHCHECK command answers 0 against a live admin port and 1 against a closed one', async () => {
    const hc = one(final, 'HEALTHCHECK');
    assert.match(hc, /--interval=\d+s/);
    const cmd = exec(hc.slice(hc.indexOf('CMD') + 3).trim());
    assert.equal(cmd[0], 'node');
    const env = one(final, 'ENV');
    const defaultPort = /PHANTOM_ADMIN_PORT=(\d+)/.exec(env)?.[1];
    assert.equal(defaultPort, '9901', 'the default admin.port');
    const [adminPort, closedPort] = await Promise.all([freePort(), freePort()]);
    const edge = await spawnProgram({
      name: 'hc-edge', script: SCRIPTS.edge,
      args: ['--config', writeYaml(tempDir(), 'edge.yaml', edgeConfig('http://127.0.0.1:1', 0, 'http://127.0.0.1:2', { admin: { port: adminPort } }))],
    });
    started.push(edge);
    const run = (port: number) => spawnSync(process.execPath, cmd.slice(1), { env: { ...process.env, PHANTOM_ADMIN_PORT: String(port) }, timeout: 10_000 }).status;
    assert.equal(run(adminPort), 0, 'healthy (liveness does not wait for the AS)');
    assert.equal(run(closedPort), 1);
  });
});
