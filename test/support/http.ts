import { request, type IncomingHttpHeaders } from 'node:http';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

/**
 * One HTTP request over a real socket, with full control of the headers
 * (`rawHeaders` may repeat a name), no connection reuse.
 */
export function send(url: string, options: { method?: string; headers?: Record<string, string>; rawHeaders?: [string, string][]; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    // a name given twice in rawHeaders is sent as two header lines
    const headers: Record<string, string | string[]> = { ...options.headers };
    for (const [name, value] of options.rawHeaders ?? []) {
      const prev = headers[name];
      headers[name] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
    }
    const req = request({
      host: target.hostname, port: target.port, // the raw path: URL would resolve dot segments
      path: url.slice(target.origin.length) || '/', method: options.method ?? 'GET',
      headers, agent: false,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The claims of a compact JWT, decoded (not verified). */
export function decode(jwt: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [h, p] = jwt.split('.');
  return { header: JSON.parse(Buffer.from(h!, 'base64url').toString()), claims: JSON.parse(Buffer.from(p!, 'base64url').toString()) };
}
