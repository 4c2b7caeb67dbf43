import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, sign, verify } from 'node:crypto';
import { generateKeyObject } from './index.js';

test('generated ES256 and EdDSA keys are new each time, of the right curve, and sign what their public key verifies', () => {
  for (const [alg, type, curve, hash] of [['ES256', 'ec', 'prime256v1', 'sha256'], ['EdDSA', 'ed25519', undefined, null]] as const) {
    const [a, b] = [generateKeyObject(alg), generateKeyObject(alg)];
    assert.equal(a.asymmetricKeyType, type);
    assert.equal(a.asymmetricKeyDetails?.namedCurve, curve);
    assert.notDeepEqual(a.export({ format: 'jwk' }), b.export({ format: 'jwk' }), `${alg}: two keys differ`);
    const data = Buffer.from('phantom');
    assert.equal(verify(hash, data, createPublicKey(a), sign(hash, data, a)), true, alg);
    assert.equal(verify(hash, data, createPublicKey(b), sign(hash, data, a)), false, `${alg}: another key's signature is refused`);
  }
});
