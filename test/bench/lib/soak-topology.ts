/**
 * The soak's processes, all real, on 127.0.0.1: redis-server and the dev AS
 * on fixed ports (so they can be restarted where the gateways expect them),
 * two backends, the edge and two micro gateways (orders, inventory) sharing
 * rate limits through Redis. Gateways log to files, as they ship (see
 * spawn-logged.ts). Each configuration file has two variants the soak
 * alternates between to reload.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { spawnProgram, type Program } from '../../../libs/process/index.js';
import { edgeConfig, freePort, microConfig, SCRIPTS, startRedis, tempDir } from '../../support/topology.js';
import { spawnLogged } from './spawn-logged.js';

export type Role = 'redis' | 'as' | 'orders-backend' | 'inventory-backend' | 'edge' | 'micro-orders' | 'micro-inventory';

export interface SoakTopology {
  dir: string;
  edgeUrl: string;
  asUrl: string;
  /** the process currently running each role (the AS and Redis change on restart) */
  programs: Map<Role, Program>;
  /** logs of the gateways, by role */
  logFiles: Map<Role, string>;
  /** rewrites every gateway's configuration file with the other variant (the file watchers reload) */
  reload(): void;
  restart(role: 'as' | 'redis', downMs: number): Promise<void>;
  stop(): Promise<void>;
}

const LIMITED = { name: 'limited', pathPrefix: '/orders/limited', scopes: ['orders:read'], rateLimit: { perClient: { limit: 5, per: '1s' } } };

export async function startSoakTopology(): Promise<SoakTopology> {
  const dir = tempDir();
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const programs = new Map<Role, Program>();
  const logFiles = new Map<Role, string>();
  const [redisPort, asPort, edgePort, ordersPort, inventoryPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const startAs = () => spawnProgram({ name: 'dev-as', script: SCRIPTS.devAs, args: ['--port', String(asPort)] });
  const backend = (name: string) => spawnProgram({ name, script: SCRIPTS.backend, args: ['--port', '0', '--name', name] });
  try {
    programs.set('redis', await startRedis(redisPort));
    programs.set('as', await startAs());
    programs.set('orders-backend', await backend('orders-backend'));
    programs.set('inventory-backend', await backend('inventory-backend'));
    const asUrl = programs.get('as')!.url;
    const edgeUrl = `http://127.0.0.1:${edgePort}`;
    const redis = { url: `redis://127.0.0.1:${redisPort}` };
    /** the two variants differ in a stripped header and a limit: a real change each time, every route kept */
    const docs = (variant: 0 | 1): Record<Role, Record<string, unknown> | undefined> => ({
      edge: edgeConfig(asUrl, edgePort, `http://127.0.0.1:${ordersPort}`, {
        admin: { port: 0 },
        stripHeaders: ['x-auth-*', 'x-phantom-*', `x-soak-variant-${variant}`],
        // one client address sends every new token here: a per-peer guard sized for the soak's rate of junk
        introspection: { unknownTokensPerPeer: { limit: 200, per: 1 } },
        routes: [
          { name: 'orders', pathPrefix: '/orders', upstream: `http://127.0.0.1:${ordersPort}`, audience: 'orders', scopes: ['orders:read', 'orders:write'], scopeMode: 'any' },
          { name: 'inventory', pathPrefix: '/inventory', upstream: `http://127.0.0.1:${inventoryPort}`, audience: 'inventory', scopes: ['inventory:read'] },
        ],
      }),
      'micro-orders': microConfig(edgeUrl, ordersPort, programs.get('orders-backend')!.url, {
        admin: { port: 0 }, throttle: { redis },
        routes: [
          { ...LIMITED, rateLimit: { perClient: { limit: 5 + variant, per: '1s' } } },
          { name: 'orders-read', pathPrefix: '/orders', methods: ['GET'], scopes: ['orders:read'], rateLimit: { perRoute: { limit: 100_000, per: '1s' } } },
          // the slow clients' stalled uploads
          { name: 'orders-upload', pathPrefix: '/orders', methods: ['POST'], scopes: ['orders:read'] },
        ],
      }),
      'micro-inventory': microConfig(edgeUrl, inventoryPort, programs.get('inventory-backend')!.url, {
        audience: 'inventory', admin: { port: 0 }, throttle: { redis },
        routes: [{ name: 'inventory-read', pathPrefix: '/inventory', methods: ['GET'], scopes: ['inventory:read'], concurrency: { max: 64 + variant, queue: 16 } }],
      }),
      redis: undefined, as: undefined, 'orders-backend': undefined, 'inventory-backend': undefined,
    });
    const gateways = [['edge', SCRIPTS.edge], ['micro-orders', SCRIPTS.micro], ['micro-inventory', SCRIPTS.micro]] as const;
    const file = (role: Role) => join(dir, `${role}.yaml`);
    const write = (variant: 0 | 1) => { for (const [role] of gateways) writeFileSync(file(role), stringify(docs(variant)[role])); };
    write(0);
    for (const [role, script] of gateways) {
      logFiles.set(role, join(dir, 'logs', `${role}.log`));
      programs.set(role, await spawnLogged({ name: role, script, args: ['--config', file(role)], logFile: logFiles.get(role)! }));
    }
    let variant: 0 | 1 = 0;
    return {
      dir, edgeUrl, asUrl, programs, logFiles,
      reload() { variant = variant === 0 ? 1 : 0; write(variant); },
      async restart(role, downMs) {
        await programs.get(role)!.stop();
        await new Promise((r) => setTimeout(r, downMs)); // the outage itself: its length is the point, not a guess at readiness
        programs.set(role, role === 'as' ? await startAs() : await startRedis(redisPort));
      },
      async stop() { await Promise.all([...programs.values()].map((p) => p.stop())); },
    };
  } catch (err) {
    await Promise.all([...programs.values()].map((p) => p.stop()));
    throw err;
  }
}
