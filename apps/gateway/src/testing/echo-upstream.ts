import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

/** What the echo service saw of one request. */
export interface Echo {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bodyLength: number;
  bodySha256: string;
  /** The body as text when it is small. */
  body?: string;
}

export interface EchoUpstream {
  url: string;
  /** Every request seen, oldest first. */
  seen: Echo[];
  ready: boolean;
  /** Called as a body streams in, with the bytes received so far. */
  onBodyProgress?: (received: number) => void;
  /** Served at /api/docs-json. */
  openApi: Record<string, unknown>;
  stop(): Promise<void>;
}

/** `size` bytes generated chunk by chunk: a large body that is never one buffer. */
export const generatedBody = (size: number, chunkSize = 64 * 1024): Readable => {
  const chunk = Buffer.alloc(chunkSize, 'abcdefghijklmnopqrstuvwxyz');
  let left = size;
  return new Readable({
    read() {
      if (left <= 0) return this.push(null);
      const next = Math.min(left, chunkSize);
      left -= next;
      this.push(next === chunkSize ? chunk : chunk.subarray(0, next));
    },
  });
};

/**
 * A bare node:http service standing in for a real one behind the gateway: it echoes what it
 * receives (hashing bodies as they stream in), streams large bodies out on
 * `/…/download?bytes=N`, stalls on `/…/slow`, breaks off an answer on `/…/truncated`, serves `/health/ready` and `/api/docs-json`.
 */
export const startEchoUpstream = async (openApi: Record<string, unknown> = {}): Promise<EchoUpstream> => {
  const state: EchoUpstream = { url: '', seen: [], ready: true, openApi, stop: async () => undefined };
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://upstream');
    if (url.pathname === '/health/ready') {
      response.writeHead(state.ready ? 200 : 503, { 'content-type': 'application/json' });
      response.end(JSON.stringify(state.ready ? { status: 'ok' } : { status: 503, detail: 'not ready: postgres' }));
      return;
    }
    if (url.pathname === '/api/docs-json') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(state.openApi));
      return;
    }
    if (url.pathname.endsWith('/slow')) return; // never answers
    if (url.pathname.endsWith('/truncated')) {
      // Promises 100 bytes, sends 10, then drops the connection.
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      response.write('{"partial"', () => response.destroy());
      return;
    }
    if (url.pathname.endsWith('/download')) {
      const bytes = Number(url.searchParams.get('bytes') ?? 0);
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'x-upstream': 'echo', connection: 'keep-alive', 'keep-alive': 'timeout=5' });
      generatedBody(bytes).pipe(response);
      return;
    }
    const hash = createHash('sha256');
    const small: Buffer[] = [];
    let length = 0;
    request.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      length += chunk.length;
      state.onBodyProgress?.(length);
      if (length <= 64 * 1024) small.push(chunk);
    });
    request.on('end', () => {
      const echo: Echo = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        bodyLength: length,
        bodySha256: hash.digest('hex'),
        ...(length <= 64 * 1024 ? { body: Buffer.concat(small).toString('utf8') } : {}),
      };
      state.seen.push(echo);
      const status = Number(url.searchParams.get('status') ?? 200);
      const answer = status === 204 ? undefined : JSON.stringify(echo);
      // `?sized`: with a Content-Length, as Fastify services answer; else chunked.
      const sized = answer !== undefined && url.searchParams.has('sized') ? { 'content-length': String(Buffer.byteLength(answer)) } : {};
      response.writeHead(status, { 'content-type': 'application/json', 'x-upstream': 'echo', 'set-cookie': ['a=1', 'b=2'], ...sized });
      response.end(answer);
    });
    request.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
};
