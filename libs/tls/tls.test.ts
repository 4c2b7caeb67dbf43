import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SecureContext } from 'node:tls';
import { createSniSelector, describeCertificates, peerIdentities, type LoadedCertificate } from './index.js';

const cert = (source: string, serverNames: string[], isDefault = false, notAfter = new Date('2030-01-01T00:00:00Z')): LoadedCertificate => ({
  source, serverNames, isDefault, notAfter, subject: `CN=${source}`, options: {}, context: { source } as unknown as SecureContext,
});
const sourceOf = (ctx: SecureContext | undefined) => (ctx as unknown as { source: string } | undefined)?.source;

test('SNI: exact names first, then a wildcard one label deep, case-insensitive; unknown names fall to the default (undefined)', () => {
  const sni = createSniSelector([cert('exact', ['a.shop.example.com']), cert('wild', ['*.shop.example.com']), cert('fallback', ['x.test'], true)]);
  assert.equal(sourceOf(sni.select('a.shop.example.com')), 'exact');
  assert.equal(sourceOf(sni.select('B.Shop.Example.Com')), 'wild');
  assert.equal(sni.select('shop.example.com'), undefined);
  assert.equal(sni.select('a.b.shop.example.com'), undefined);
  assert.equal(sni.select('localhost'), undefined);
  assert.equal(sni.defaultCertificate.source, 'fallback');
});

test('--check lines: names, expiry, days left, a WARNING under 14 days and for an expired certificate', () => {
  const now = Date.parse('2029-12-20T00:00:00Z');
  const { lines, warnings } = describeCertificates([
    cert('a.pem', ['a.test'], true),
    cert('b.pem', ['b.test', '*.b.test'], false, new Date('2031-01-01T00:00:00Z')),
    cert('c.pem', ['c.test'], false, new Date('2029-12-01T00:00:00Z')),
  ], now);
  assert.deepEqual(lines, [
    'WARNING tls certificate a.pem (default): names a.test; expires 2030-01-01T00:00:00.000Z (12 days left)',
    'tls certificate b.pem: names b.test, *.b.test; expires 2031-01-01T00:00:00.000Z (377 days left)',
    'WARNING tls certificate c.pem: names c.test; expires 2029-12-01T00:00:00.000Z (EXPIRED)',
  ]);
  assert.equal(warnings, 2);
});

test('peer identities: subject CN, SAN DNS names (lower-cased) and URIs', () => {
  assert.deepEqual(peerIdentities({ subject: { CN: 'edge' }, subjectaltname: 'DNS:Edge.Internal, URI:spiffe://x/edge, IP Address:127.0.0.1' }),
    { subjects: ['edge'], dns: ['edge.internal'], uris: ['spiffe://x/edge'] });
  assert.deepEqual(peerIdentities({}), { subjects: [], dns: [], uris: [] });
});
