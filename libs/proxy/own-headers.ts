import type { OutgoingHttpHeaders } from 'node:http';

/**
 * A headers object that inherits no names — a header named `__proto__`,
 * `constructor` or `toString` is just a name — and, unlike
 * `Object.create(null)` (a dictionary from the start), a fast-mode object:
 * built once per request and read once by undici or node:http, measured
 * in-process ~40 % cheaper to fill and walk.
 */
export const OwnHeaders = function OwnHeaders() { /* fields added by the caller */ } as unknown as new () => OutgoingHttpHeaders;
OwnHeaders.prototype = Object.create(null) as object;
