import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { spawnProgram, type Program } from '../../libs/process/index.js';
import { dist, waitForLine } from '../support/topology.js';
import { OPCODE, wsConnect } from '../support/ws-client.js';

/** the walk-through's commands as printed: one per line, comments and blank lines left out */
function walkThrough(lines: readonly string[]): string[] {
  const from = lines.findIndex((l) => l.startsWith('Walk-through'));
  const to = lines.findIndex((l) => l.startsWith('Press Ctrl-C'));
  return lines.slice(from + 1, to).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}

describe('`npm start -- --tls`: the printed walk-through runs as printed (curl against the demo\'s processes)', () => {
  let demo: Program;
  /** [command, its output], in the walk-through's order (a command may appear twice: a replay) */
  const outputs: [string, string][] = [];

  before(async () => {
    demo = await spawnProgram({
      name: 'tls-demo', script: dist('apps/demo/src/main.js'), args: ['--tls', '--any-ports'], timeoutMs: 60_000,
      ready: (line) => (line.startsWith('Press Ctrl-C') ? 'ready' : undefined),
    });
    // the walk-through is printed once every process listens; the AS discovery and the JWKS fetches follow
    await Promise.all(['[edge           ] authorization server discovered', '[micro-orders   ] jwks fetched'].map((text) => waitForLine(demo, text, 15_000)));
    const commands = walkThrough(demo.lines);
    // every command of the walk-through, in one bash, each output cut out after it
    const script = commands.map((c) => `${c}\nprintf '\\n@@@\\n'`).join('\n');
    const out = execFileSync('bash', ['-c', script], { encoding: 'utf8', timeout: 60_000 }).split('\n@@@\n');
    commands.forEach((c, i) => { outputs.push([c, out[i]!.trim()]); });
  });
  after(async () => { await demo?.stop(); });

  const outputOf = (fragment: string, nth = 0): string => {
    const found = outputs.filter(([c]) => c.includes(fragment))[nth];
    assert.ok(found, `no walk-through command contains ${fragment}`);
    return found[1];
  };

  test('HTTPS at the edge with the development CA, through mutual TLS to the micro gateway and its backend', () => {
    const body = JSON.parse(outputOf('$API/orders/42')) as { service: string; claims: { aud: string; iss: string } };
    assert.equal(body.service, 'orders-backend');
    assert.equal(body.claims.aud, 'orders');
    assert.match(body.claims.iss, /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  test('SNI: shop.phantom.test and api.phantom.test each get their own certificate', () => {
    assert.match(outputOf('https://shop.phantom.test'), /subject: CN\s?=\s?shop\.phantom\.test/);
    assert.match(outputOf('$API/orders/1 2>&1'), /subject: CN\s?=\s?api\.phantom\.test/);
  });

  test('the micro gateway refuses a client without a certificate (handshake) and another identity (403 peer_not_allowed)', () => {
    assert.match(outputOf('echo "curl exit code $?"'), /curl exit code (?!0\b)\d+/);
    assert.equal(JSON.parse(outputOf('intruder.pem')).error, 'peer_not_allowed');
  });

  test('a certificate-bound token works with its certificate only; an unbound token on a requireSenderConstraint route gets 403', () => {
    const bound = JSON.parse(outputOf('--cert $DIR/alice.pem')) as { claims: { sender_constraint: string; cnf: Record<string, string> } };
    assert.equal(bound.claims.sender_constraint, 'mtls');
    assert.match(bound.claims.cnf['x5t#S256'] ?? '', /^[\w-]{43}$/);
    assert.equal(JSON.parse(outputOf('"Authorization: Bearer $BOUND"', 1)).error, 'invalid_token');
    assert.equal(JSON.parse(outputOf('"Authorization: Bearer $TOKEN" $API/orders/pop/1')).error, 'sender_constraint_required');
  });

  test('a WebSocket echo over wss:// at the edge, tunnelled through mutual TLS to the micro gateway and the backend', async () => {
    const dir = /^DIR=(.+)$/.exec(outputs.find(([c]) => c.startsWith('DIR='))?.[0] ?? '')?.[1];
    const api = /^API=(.+)$/.exec(outputs.find(([c]) => c.startsWith('API='))?.[0] ?? '')?.[1];
    assert.ok(dir && api, 'the walk-through names the folder and the edge');
    const token = outputOf('echo "$TOKEN"');
    const ws = await wsConnect(api.replace('api.phantom.test', '127.0.0.1'), '/orders/live/feed', { Authorization: `Bearer ${token}` }, { tls: { ca: `${dir}/phantom-dev-ca.pem`, servername: 'api.phantom.test' } });
    assert.equal(ws.status, 101);
    ws.send(OPCODE.text, 'over TLS twice');
    assert.equal((await ws.waitForFrame((f) => f.opcode === OPCODE.text))?.payload.toString(), 'over TLS twice');
    ws.raw.socket.destroy();
  });

  test('DPoP: a proof made with the printed helper is accepted once, and the replayed proof gets 401 invalid_dpop_proof', () => {
    const first = JSON.parse(outputOf('"DPoP: $P"', 0)) as { claims: { sender_constraint: string } };
    assert.equal(first.claims.sender_constraint, 'dpop');
    assert.equal(JSON.parse(outputOf('"DPoP: $P"', 1)).error, 'invalid_dpop_proof');
  });
});
