import { GatewayError } from '../errors/index.js';

// reg-name of letters, digits, "-", "_", "." (no userinfo, lists, escapes or spaces), or an IPv6 literal; an optional port
const HOST = /^(?:[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?$/;

const refuse = (reason: string, description: string): never => {
  throw new GatewayError('bad_request', description, { reason });
};

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
