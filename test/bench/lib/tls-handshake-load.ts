/**
 * The new-handshake load: a closed loop of raw TLS connections, each a full
 * handshake (no session offered, so no resumption), one `GET` with
 * `Connection: close`, read to the end, closed. `wrk -H "Connection: close"`
 * would resume every other session from its last ticket, which mixes two
 * costs; this loop measures one. The client verifies the server certificate
 * against the CA, as a real client does.
 */
import { connect, createSecureContext } from 'node:tls';
import { readFileSync } from 'node:fs';
import type { LoadResult } from './wrk.js';

export interface HandshakeResult extends LoadResult {
  /** connections the server resumed (must stay 0: every one a full handshake) */
  resumed: number;
  /** the negotiated protocol and cipher of the last connection */
  protocol: string;
}

export async function runHandshakeLoad(url: string, options: { connections: number; seconds: number; ca: string; headers?: Record<string, string> }): Promise<HandshakeResult> {
  const target = new URL(url);
  const secureContext = createSecureContext({ ca: readFileSync(options.ca) }); // one context: no per-connection CA parsing
  const head = Buffer.from(`GET ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\n${Object.entries(options.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join('')}Connection: close\r\n\r\n`);
  const latencies: number[] = [];
  let errors = 0, non2xx = 0, resumed = 0, protocol = '';
  const start = performance.now();
  const end = start + options.seconds * 1000;
  const one = () => new Promise<void>((resolve) => {
    const t0 = performance.now();
    const chunks: Buffer[] = [];
    const socket = connect({ host: target.hostname, port: Number(target.port), secureContext, ...(/^[\d.]+$/.test(target.hostname) ? {} : { servername: target.hostname }) }, () => {
      if (socket.isSessionReused()) resumed++;
      protocol = `${socket.getProtocol()} ${socket.getCipher().name}`;
      socket.write(head);
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => { errors++; resolve(); });
    socket.on('close', (hadError) => {
      if (hadError) return;
      const status = /^HTTP\/1\.1 (\d{3})/.exec(Buffer.concat(chunks).subarray(0, 16).toString('latin1'))?.[1];
      if (!status) errors++;
      else { latencies.push(performance.now() - t0); if (!status.startsWith('2')) non2xx++; }
      resolve();
    });
  });
  await Promise.all(Array.from({ length: options.connections }, async () => { while (performance.now() < end) await one(); }));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return { requests: latencies.length, seconds, rps: latencies.length / seconds, p50ms: pct(50), p99ms: pct(99), errors, non2xx, resumed, protocol };
}
