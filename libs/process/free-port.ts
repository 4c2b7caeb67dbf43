import { createServer } from 'node:net';

/**
 * below Linux's default ephemeral range (32768–60999): no outgoing connection is given one of these ports;
 * and port + 10000 (Redis Cluster's bus port) stays below it too
 */
const LOW = 20_000;
const HIGH = 22_767;
/** ports handed out by this process: never twice */
const given = new Set<number>();

function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A TCP port free on 127.0.0.1 for a program started next. Picked outside the
 * ephemeral range: a port the kernel hands out by `listen(0)` can be taken by
 * any outgoing connection between the probe and the program's own listen
 * (seen here as EADDRINUSE under a busy test suite).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW + 1));
    if (given.has(port)) continue;
    if (await probe(port)) { given.add(port); return port; }
  }
  throw new Error(`no free port found between ${LOW} and ${HIGH}`);
}
