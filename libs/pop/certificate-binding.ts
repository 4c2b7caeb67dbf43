import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { GatewayError } from '../errors/index.js';
import { remoteAddress } from '../proxy/index.js';

export interface CertificateBindingOptions {
  /**
   * a header carrying the client certificate from a TLS-terminating proxy in
   * front (RFC 9440 `Client-Cert: :<base64 DER>:`, or a URL-encoded PEM as
   * nginx's `$ssl_client_escaped_cert`); believed only from `trustedPeers`
   */
  forwardedHeader?: string | undefined;
  trustedPeers: readonly string[];
}

/** SHA-256 of a DER certificate, base64url: the `x5t#S256` of RFC 8705 §3.1 */
export function certificateThumbprint(der: Buffer): string {
  return createHash('sha256').update(der).digest('base64url');
}

function derFromHeader(value: string): Buffer | undefined {
  const sf = /^:([A-Za-z0-9+/]+={0,2}):$/.exec(value.trim());
  if (sf) return Buffer.from(sf[1]!, 'base64');
  const pem = decodeURIComponent(value);
  const body = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem)?.[1];
  return body ? Buffer.from(body.replace(/\s+/g, ''), 'base64') : undefined;
}

/**
 * RFC 8705 §3: a certificate-bound access token (introspection `cnf.x5t#S256`)
 * is accepted only on a request whose client certificate has that thumbprint
 * — the one presented on this TLS connection, or, from a trusted proxy, the
 * one it forwards. The thumbprint is computed once per connection.
 */
export function createCertificateBinding(options: CertificateBindingOptions) {
  const header = options.forwardedHeader?.toLowerCase();
  const trusted = new Set(options.trustedPeers);
  const perSocket = new WeakMap<object, string | null>();

  function presented(req: IncomingMessage): string | undefined {
    if (header && trusted.has(remoteAddress(req))) {
      const value = req.headers[header];
      if (typeof value === 'string') {
        const der = derFromHeader(value);
        return der && der.length > 0 ? certificateThumbprint(der) : undefined;
      }
    }
    const socket = req.socket as TLSSocket;
    let known = perSocket.get(socket);
    if (known === undefined) {
      const raw = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate().raw : undefined;
      known = raw ? certificateThumbprint(raw) : null;
      perSocket.set(socket, known);
    }
    return known ?? undefined;
  }

  return {
    /** the header to strip before forwarding (a client must not reach the next hop with it) */
    header,
    /**
     * The token's sender constraint, checked: `mtls` when its `cnf.x5t#S256`
     * matches the request's certificate, `dpop` when its `cnf.jkt` equals the
     * thumbprint of the key of an already verified DPoP proof, undefined for
     * an unbound token. Anything else is 401 invalid_token: a bound token is
     * never downgraded to a bearer token.
     */
    check(req: IncomingMessage, cnf: unknown, dpopJkt?: string): 'mtls' | 'dpop' | undefined {
      const { 'x5t#S256': x5t, jkt } = (cnf && typeof cnf === 'object' ? cnf : {}) as Record<string, unknown>;
      if (dpopJkt !== undefined && jkt === undefined) throw new GatewayError('invalid_token', 'the access token is not DPoP-bound: present it as a Bearer token', { reason: 'dpop_unbound_token' });
      if (jkt !== undefined) {
        if (dpopJkt === undefined) throw new GatewayError('invalid_token', 'the access token is DPoP-bound: present it with a DPoP proof', { reason: 'dpop_bound_as_bearer' });
        if (dpopJkt !== jkt) throw new GatewayError('invalid_token', 'the DPoP proof is signed by another key than the one the access token is bound to', { reason: 'dpop_key_mismatch' });
      }
      if (x5t !== undefined) {
        const actual = presented(req);
        if (actual === undefined) throw new GatewayError('invalid_token', 'the access token is bound to a client certificate, and this request presented none', { reason: 'certificate_missing' });
        if (actual !== x5t) throw new GatewayError('invalid_token', 'the access token is bound to another client certificate', { reason: 'certificate_mismatch' });
      }
      return jkt !== undefined ? 'dpop' : x5t !== undefined ? 'mtls' : undefined;
    },
  };
}

export type CertificateBinding = ReturnType<typeof createCertificateBinding>;
