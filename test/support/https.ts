import { request, type Agent } from 'node:https';
import { connect, type PeerCertificate } from 'node:tls';
import { readFileSync } from 'node:fs';
import type { Reply } from './http.js';

export interface TlsClient {
  /** CA file the server's certificate must chain to */
  ca: string;
  /** SNI name, also the name the server's certificate must carry; default: the URL's host */
  servername?: string;
  /** client certificate and key files (mutual TLS) */
  cert?: string;
  key?: string;
}

/** One HTTPS request over a real TLS connection; `agent` reuses connections (keep-alive), else a new handshake. */
export function sendTls(url: string, client: TlsClient, options: { method?: string; headers?: Record<string, string>; agent?: Agent; localAddress?: string } = {}): Promise<Reply & { peer: PeerCertificate }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = request({
      host: target.hostname, port: target.port, path: target.pathname + target.search, method: options.method ?? 'GET',
      headers: options.headers, agent: options.agent ?? false, ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      ca: readFileSync(client.ca), servername: client.servername ?? target.hostname,
      ...(client.cert ? { cert: readFileSync(client.cert), key: readFileSync(client.key!) } : {}),
    }, (res) => {
      const peer = (res.socket as import('node:tls').TLSSocket).getPeerCertificate();
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T, peer });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The certificate a TLS server presents for an SNI name (no name: no SNI extension sent). */
export function presentedCertificate(port: number, servername?: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(servername ? { servername } : {}) }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve(cert);
    });
    socket.on('error', reject);
  });
}
