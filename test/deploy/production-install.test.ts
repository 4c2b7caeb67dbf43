import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnProgram, type Program } from '../../libs/process/index.js';
import { adminUrl, edgeConfig, freePort, microConfig, startDevAs, tempDir, waitForLine, writeYaml } from '../support/topology.js';
import { createProductionInstall, productionPackages, repoRoot } from '../support/production-install.js';

const DEV_ONLY = ['oidc-provider', 'pino-pretty'];

describe('production install (npm ci --omit=dev)', () => {
  let app: string;
  const started: Program[] = [];
  before(() => { app = createProductionInstall(); });
  after(async () => { await Promise.all(started.map((p) => p.stop())); });

  test('the development AS and pino-pretty are development dependencies, absent from the production set', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    for (const name of DEV_ONLY) {
      assert.equal(pkg.dependencies[name], undefined, `${name} is a runtime dependency`);
      assert.ok(pkg.devDependencies[name], `${name} is not a development dependency`);
      assert.ok(!productionPackages().includes(`node_modules/${name}`), `${name} is in the lockfile's production set`);
      assert.equal(existsSync(join(app, 'node_modules', name)), false);
    }
    assert.ok(existsSync(join(app, 'node_modules', 'jose')), 'a runtime dependency is installed');
  });

  test('the edge and a micro gateway start, serve the JWKS and turn ready with production dependencies only', async () => {
    const dir = tempDir();
    const [edgePort, microPort] = await Promise.all([freePort(), freePort()]);
    const edgeUrl = `http://127.0.0.1:${edgePort}`;
    const asPort = await freePort();
    const cli = join(app, 'dist/apps/cli/src/main.js');
    // all three start at once: the edge retries discovery until the AS answers, the micro gateway fetches the JWKS until the edge answers
    const spawned = await Promise.allSettled([
      // the AS is someone else's service: it runs from the development tree
      startDevAs(['--port', String(asPort)]),
      // logging.pretty asks for pino-pretty, which is not installed: the edge logs JSON and says so
      spawnProgram({ name: 'prod-edge', script: cli, args: ['edge', '--config', writeYaml(dir, 'edge.yaml', edgeConfig(`http://127.0.0.1:${asPort}`, edgePort, 'http://127.0.0.1:1', { logging: { pretty: true } }))] }),
      spawnProgram({ name: 'prod-micro', script: cli, args: ['micro', '--config', writeYaml(dir, 'micro.yaml', microConfig(edgeUrl, microPort, 'http://127.0.0.1:1'))] }),
    ]);
    for (const r of spawned) if (r.status === 'fulfilled') started.push(r.value);
    const failed = spawned.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [, edge, micro] = started as [Program, Program, Program];
    await waitForLine(edge, 'pino-pretty (a development dependency) is not installed');
    for (const p of [edge, micro]) {
      const admin = adminUrl(p);
      let status = 0;
      for (const deadline = Date.now() + 10_000; status !== 200 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
        status = (await fetch(`${admin}/readyz`)).status;
      }
      assert.equal(status, 200, `${p.name} did not turn ready:\n${p.lines.slice(-5).join('\n')}`);
    }
    const jwks = await (await fetch(`${edgeUrl}/.well-known/jwks.json`)).json() as { keys: unknown[] };
    assert.equal(jwks.keys.length, 1);
  });

  for (const command of ['dev-as', 'demo']) {
    test(`phantom ${command} says in one sentence how to get the development AS, exit 2`, () => {
      const r = spawnSync(process.execPath, [join(app, 'dist/apps/cli/src/main.js'), command, '--port', '0'], { encoding: 'utf8', timeout: 15_000 });
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`^phantom ${command}: the development Authorization Server needs oidc-provider, a development dependency that this production install leaves out; run \`npm install\` .+\\.\\n$`));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    });
  }
});
