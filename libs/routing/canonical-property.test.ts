import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalTarget, createRouteTable, stripPrefix } from './index.js';
import { GatewayError } from '../errors/index.js';

const ROUTES = [
  { name: 'root', pathPrefix: '/' },
  { name: 'orders', pathPrefix: '/orders' },
  { name: 'admin', pathPrefix: '/orders/admin' },
  { name: 'files', pathPrefix: '/files', matrixParams: true, repeatedSlashes: true },
  { name: 'secret', pathPrefix: '/files/secret' },
];

/**
 * What a lenient backend dispatcher makes of a target: Tomcat/Spring drop `;`
 * parameters, everyone percent-decodes, dot segments are resolved, empty
 * segments merged, Windows/IIS trims trailing dots and spaces, ASP.NET and
 * friends compare case-insensitively (and some NFKC-normalise first); a
 * buggy one decodes twice.
 */
function backendRoute(target: string, decodeTwice = false): string {
  const path = target.split('?')[0]!;
  const out: string[] = [];
  for (const raw of path.split('/')) {
    let segment = decodeURIComponent(raw.split(';')[0]!);
    if (decodeTwice) { try { segment = decodeURIComponent(segment); } catch { /* a lone % stays */ } }
    segment = segment.normalize('NFKC').toUpperCase().toLowerCase().replace(/[. ]+$/, (m) => (segment === '.' || segment === '..' ? m : ''));
    if (segment === '' || segment === '.') continue;
    if (segment === '..') { out.pop(); continue; }
    out.push(segment);
  }
  const key = `/${out.join('/')}`;
  let best = ROUTES[0]!;
  for (const r of ROUTES) {
    const p = r.pathPrefix;
    if ((key === p || key.startsWith(p.endsWith('/') ? p : `${p}/`)) && p.length > best.pathPrefix.length) best = r;
  }
  return best.name;
}

// route words and their spellings, and the tricky pieces around them
const WORDS = [
  'orders', 'Orders', 'ORDERS', '%6F%72ders', '%6frders', 'admin', 'ADMIN', 'Admin', '%61dmin', '%41DMIN', 'adm%69n', 'files', 'FILES',
  'secret', 'SECRET', '%73ecret', '%C5%BFecret', '\u017fecret', 'x', '1', 'caf%c3%a9', '%E2%84%AA', 'é',
];
const TRICKS = [
  '', '', '', '.', '..', '%2e', '%2E', '%2e%2e', '.%2e', '%252e', '%2561', '%25', ';', ';x=1', '..;', '%00', '%0a', '%c0%ae', '%c0%af',
  '%ff', ' ', '%20', '.', '%3b', '%3f', '~', '%7e', '%u0061', '?x=/../admin', '#', '%2f', '\\', '%5c',
];
const SEPARATORS = ['/', '/', '/', '/', '//', '/./', '/../', '/%2e%2e/', ';x=1/', '..;/', '%2f', '\\', '/;/', '///'];

const mostly = (usual: string, others: string[]) => fc.oneof({ arbitrary: fc.constant(usual), weight: 4 }, { arbitrary: fc.constantFrom(...others), weight: 1 });
const trickArb = mostly('', TRICKS);
const segmentArb = fc.tuple(trickArb, fc.constantFrom(...WORDS), trickArb)
  .map(([a, w, b]) => a + w + b);
const targetArb = fc.tuple(fc.array(fc.tuple(mostly('/', SEPARATORS), segmentArb), { minLength: 1, maxLength: 4 }), fc.boolean())
  .map(([parts, slash]) => parts.map(([sep, seg]) => sep + seg).join('') + (slash ? '/' : ''))
  .map((url) => (url.startsWith('/') ? url : `/${url}`));

test('property: the gateway refuses, or authorizes the route a decoding (once or twice), case-folding backend picks for the forwarded target', () => {
  const table = createRouteTable(ROUTES);
  let accepted = 0;
  let refused = 0;
  fc.assert(fc.property(targetArb, (url) => {
    let target: ReturnType<typeof canonicalTarget>;
    let route: ReturnType<typeof table.match>;
    try {
      target = canonicalTarget(url);
      route = table.match(undefined, target, 'GET');
    } catch (e) {
      if (!(e instanceof GatewayError) || e.status !== 400 && e.status !== 404) throw e;
      refused++;
      return;
    }
    accepted++;
    const forwarded = target.path + target.query;
    assert.equal(backendRoute(forwarded), route.name, `${url} → ${forwarded}`);
    assert.equal(backendRoute(forwarded, true), route.name, `${url} → ${forwarded} (decoded twice)`);
    // what is forwarded is a fixed point: the next hop sees the same target and picks the same route
    const again = canonicalTarget(forwarded);
    assert.equal(again.path + again.query, forwarded);
    assert.equal(table.match(undefined, again, 'GET').name, route.name);
    // a stripped prefix never leaves a host-looking `//`
    assert.ok(!stripPrefix(target.path, route.pathPrefix, target.query).startsWith('//'));
  }), { numRuns: 3000, seed: 20261125 });
  // both outcomes were exercised
  assert.ok(accepted > 100, `accepted ${accepted}`);
  assert.ok(refused > 100, `refused ${refused}`);
});
