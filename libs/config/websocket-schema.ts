import { z } from 'zod';

/** a route's WebSocket opt-in (README "WebSocket"); a route without it refuses upgrades with 400 websocket_not_enabled */
export const websocketSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('accept WebSocket upgrades on this route (the block\'s presence opts in)'),
  maxLifetimeSeconds: z.number().positive().default(3600).describe('a tunnel is closed (1008) after this long, or when its token expires, whichever comes first'),
  idleTimeoutSeconds: z.number().positive().default(300).describe('a tunnel with no bytes in either direction for this long is closed (1001), as nginx\'s proxy_read_timeout closes idle tunnels; clients that stay connected send pings'),
  maxMessageBytes: z.number().int().positive().default(1_048_576).describe('largest message (all its fragments) in either direction, counted on the wire; larger → closed with 1009'),
});

export type WebSocketRouteConfig = z.output<typeof websocketSchema>;
