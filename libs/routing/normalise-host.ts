import { GatewayError } from '../errors/index.js';

// reg-name of letters, digits, "-", "_", "." (no userinfo, lists, escapes or spaces), or an IPv6 literal; an optional port
const HOST = /^(?:[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?$/;

const refuse = (reason: string, description: string): never => {
  throw new GatewayError('bad_request', description, { reason });
};

/** Already normal: lower-case letters, digits, "-", "." (no empty label, no trailing dot), then `:port` (not 80/443). */
function isNormal(value: string): boolean {
  let prev = 46; // a leading "." is an empty label
  let i = 0;
  for (; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 58 /* : */) break;
    if (c === 46 ? prev === 46 : !((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45)) return false;
    prev = c;
  }
  if (prev === 46) return false;
  if (i === value.length) return true;
  const digits = value.length - i - 1;
  if (digits < 1 || digits > 4) return false; // 5-digit ports take the checked path
  for (let j = i + 1; j < value.length; j++) { const c = value.charCodeAt(j); if (c < 48 || c > 57) return false; }
  return !(digits === 2 && value.endsWith(':80')) && !(digits === 3 && value.endsWith(':443'));
}

/**
 * The request's host as host routes and `X-Forwarded-Host` see it: lower
 * case, one trailing dot removed, the default port of the scheme dropped.
 * Several `Host` headers, userinfo, lists and illegal characters are a 400.
 * Without a Host header (HTTP/1.0), undefined.
 */
export function normaliseHost(values: readonly string[], secure: boolean): string | undefined {
  if (values.length === 0) return undefined;
  if (values.length > 1) refuse('several_hosts', 'more than one Host header');
  const value = values[0]!;
  if (value.length === 0) return undefined;
  if (value.length <= 260 && isNormal(value)) return value;
  const m = HOST.exec(value);
  if (!m || value.length > 260) return refuse('malformed_host', 'the Host header is malformed');
  const port = m[1];
  let name = port === undefined ? value : value.slice(0, value.length - port.length - 1);
  if (name.charCodeAt(name.length - 1) === 46 /* . */) name = name.slice(0, -1);
  name = name.toLowerCase();
  if (port === undefined || (secure ? port === '443' : port === '80')) return name;
  if (Number(port) > 65535) refuse('malformed_host', 'the Host header is malformed');
  return `${name}:${port}`;
}
