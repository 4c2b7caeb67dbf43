import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { SCRIPTS, dist, edgeConfig, microConfig, tempDir, writeYaml } from '../support/topology.js';

const dir = tempDir();
const CLI = dist('apps/cli/src/main.js');

function run(script: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 15_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The edge refuses to start: exit 2 and one message naming the file and field, no stack trace. */
function refuses(config: object, expected: RegExp, env?: Record<string, string>) {
  const file = writeYaml(dir, `edge-${Math.random().toString(36).slice(2)}.yaml`, config);
  const r = run(SCRIPTS.edge, ['--config', file], env);
  assert.equal(r.code, 2, r.stderr);
  assert.ok(r.stderr.startsWith(`phantom edge: ${file}: `), r.stderr);
  assert.match(r.stderr, expected);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(r.stdout, '');
}

const base = edgeConfig('http://127.0.0.1:1', 0, 'http://127.0.0.1:2');

describe('start-up configuration errors: one clear message, exit 2', () => {
  test('missing file', () => {
    const r = run(SCRIPTS.edge, ['--config', join(dir, 'missing.yaml')]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `phantom edge: ${join(dir, 'missing.yaml')}: file not found\n`);
  });
  test('no --config', () => {
    const r = run(SCRIPTS.edge, []);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'phantom edge: (command line): --config <file> is required\n');
  });
  test('YAML syntax error', () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'routes: [\n  - name: x\n');
    const r = run(SCRIPTS.edge, ['--config', file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^phantom edge: .*broken\.yaml: YAML syntax error at line 2, column 3: .+\n$/);
  });
  test('unknown key', () => refuses({ ...base, colour: 'blue' }, /\(top level\): unknown key "colour"/));
  test('wrong type', () => refuses({ ...base, minting: { ttlSeconds: 'soon' } }, /minting\.ttlSeconds: expected number, received string/));
  test('missing required value', () => { const { issuer: _drop, ...rest } = base; refuses(rest, /issuer: required \(string\)/); });
  test('route to an undeclared audience', () => refuses({ ...base, routes: [{ ...(base.routes as object[])[0], audience: 'billing' }] }, /routes\[0\]\.audience: audience "billing" is not declared/));
  test('unset environment variable', () => refuses({ ...base, authorizationServer: { ...(base.authorizationServer as object), clientSecret: '${PHANTOM_TEST_UNSET}' } }, /authorizationServer\.clientSecret: environment variable PHANTOM_TEST_UNSET is not set/));
  test('a generated key outside development mode', () => refuses({ ...base, development: false }, /keys\.generate: a generated signing key is allowed only with development: true/));
  test('a signing key file that is not a key', () => {
    const bad = join(dir, 'not-a-key.pem');
    writeFileSync(bad, 'hello');
    refuses({ ...base, development: false, keys: { signing: [{ file: bad }] } }, /keys\.signing\[0\]: key file .*not-a-key\.pem is not a usable private key/);
  });
  test('a weak RSA signing key', () => {
    const weak = join(dir, 'weak.pem');
    writeFileSync(weak, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    refuses({ ...base, development: false, keys: { signing: [{ file: weak }] }, minting: { algorithm: 'RS256' } }, /at least 2048 bits/);
  });
  test('micro: missing jwks url', () => {
    const cfg = microConfig('http://127.0.0.1:1', 0, 'http://127.0.0.1:2');
    const file = writeYaml(dir, 'micro-bad.yaml', { ...cfg, jwks: {} });
    const r = run(SCRIPTS.micro, ['--config', file]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `phantom micro: ${file}: jwks.url: required (string)\n`);
  });
});

describe('the phantom command line', () => {
  test('--check validates and exits 0 without listening', () => {
    const file = writeYaml(dir, 'ok.yaml', base);
    const r = run(CLI, ['edge', '--config', file, '--check']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /configuration OK/);
  });
  test('--check runs the builders of a real start: a missing audience encryption key file is refused, exit 2', () => {
    const file = writeYaml(dir, 'enc.yaml', { ...base, audiences: { ...(base.audiences as object), orders: { scopes: ['orders:read'], encryption: { keyFile: join(dir, 'absent.pem') } } } });
    const r = run(CLI, ['edge', '--config', file, '--check']);
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stderr, /audiences\.orders\.encryption\.keyFile: .*absent\.pem/);
    assert.doesNotMatch(r.stdout, /configuration OK/);
  });
  test('--check --online fails clearly when the AS is unreachable', () => {
    const file = writeYaml(dir, 'ok2.yaml', base);
    const r = run(CLI, ['edge', '--config', file, '--check', '--online']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /authorizationServer\.issuer: discovery at http:\/\/127\.0\.0\.1:1 failed/);
  });
  test('--help, --version and an unknown command', () => {
    assert.match(run(CLI, ['--help']).stdout, /usage: phantom <command>/);
    assert.match(run(CLI, ['--version']).stdout, /^phantom-gateway \d+\.\d+\.\d+\n$/);
    const r = run(CLI, ['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "frobnicate"/);
  });
});
