// A deliberately dumb HTTP/1.1 client over a TCP socket: it writes exactly the bytes it is
// given (duplicate headers, non-ASCII bytes, lying Content-Length, bodies dripped a byte at a
// time), which fetch and http.request refuse to send, and reads whatever comes back.
import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  json: any;
  /** The server closed the connection (it always should: we send Connection: close). */
  closedByServer: boolean;
  /** Milliseconds from the first byte sent to the connection closing. */
  elapsedMs: number;
}

export interface RawRequest {
  method: string;
  /** Path and query, sent exactly as given. */
  target: string;
  /** Header lines in order; a Buffer value is sent byte for byte. */
  headers: Array<[string, string | Buffer]>;
  body?: Buffer;
  /** Add Content-Length for the body (default true). */
  contentLength?: boolean;
  /** Send the body (or, with dripHeaders, the header block) this many bytes at a time... */
  dripBytes?: number;
  /** ...every this many milliseconds. */
  dripEveryMs?: number;
  dripHeaders?: boolean;
  /** Give up after this long without the server closing (the case then fails). */
  giveUpMs?: number;
}

function parse(raw: Buffer): Omit<RawResponse, 'closedByServer' | 'elapsedMs'> {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, body: raw.toString('latin1'), json: undefined };
  const head = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const c = line.indexOf(':');
    if (c > 0) headers[line.slice(0, c).trim().toLowerCase()] = line.slice(c + 1).trim();
  }
  let bodyBytes = raw.subarray(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const parts: Buffer[] = [];
    let i = 0;
    for (;;) {
      const eol = bodyBytes.indexOf('\r\n', i);
      if (eol < 0) break;
      const size = Number.parseInt(bodyBytes.subarray(i, eol).toString('latin1'), 16);
      if (!(size > 0)) break;
      parts.push(bodyBytes.subarray(eol + 2, eol + 2 + size));
      i = eol + 2 + size + 2;
    }
    bodyBytes = Buffer.concat(parts);
  }
  const body = bodyBytes.toString('utf8');
  let json: any;
  try {
    json = body ? JSON.parse(body) : undefined;
  } catch {
    json = undefined;
  }
  return { status, headers, body, json };
}

export function rawRequest(port: number, r: RawRequest): Promise<RawResponse> {
  const lines: Buffer[] = [Buffer.from(`${r.method} ${r.target} HTTP/1.1\r\n`, 'latin1')];
  const names = new Set(r.headers.map(([k]) => k.toLowerCase()));
  const all: Array<[string, string | Buffer]> = [...r.headers];
  if (!names.has('host')) all.unshift(['Host', `127.0.0.1:${port}`]);
  if (!names.has('connection')) all.push(['Connection', 'close']);
  if (r.body !== undefined && r.contentLength !== false && !names.has('content-length')) all.push(['Content-Length', String(r.body.length)]);
  for (const [k, v] of all) lines.push(Buffer.from(`${k}: `, 'latin1'), typeof v === 'string' ? Buffer.from(v, 'latin1') : v, Buffer.from('\r\n'));
  lines.push(Buffer.from('\r\n'));
  const head = Buffer.concat(lines);

  return new Promise((resolve) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const socket = net.connect({ host: '127.0.0.1', port });
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(giveUp);
      clearInterval(timer);
      socket.destroy();
      resolve({ ...parse(Buffer.concat(chunks)), closedByServer, elapsedMs: Date.now() - started });
    };
    const giveUp = setTimeout(() => finish(false), r.giveUpMs ?? 60_000);
    socket.on('data', (d) => chunks.push(d));
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    // The server may answer (413, 431) and close before the whole request is written.
    socket.on('error', () => finish(true));
    socket.on('connect', () => {
      const drip = (data: Buffer, then: () => void) => {
        let at = 0;
        timer = setInterval(() => {
          if (done || socket.destroyed) return clearInterval(timer);
          socket.write(data.subarray(at, at + (r.dripBytes ?? 1)));
          at += r.dripBytes ?? 1;
          if (at >= data.length) {
            clearInterval(timer);
            then();
          }
        }, r.dripEveryMs ?? 500);
      };
      if (r.dripHeaders) drip(Buffer.concat([head, r.body ?? Buffer.alloc(0)]), () => {});
      else {
        socket.write(head);
        if (r.body !== undefined) {
          if (r.dripEveryMs !== undefined) drip(r.body, () => {});
          else socket.write(r.body);
        }
      }
    });
  });
}
