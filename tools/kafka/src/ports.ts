import { readFileSync } from 'node:fs';
import * as net from 'node:net';

function listen(host: string, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => resolve(server));
  });
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** True when nothing listens on host:port (we can bind it ourselves). */
export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  try {
    await close(await listen(host, port));
    return true;
  } catch {
    return false;
  }
}

/**
 * Where ports are picked: below the range the OS hands out for outgoing connections (and for
 * `listen(0)`). A port from that range, let go and bound again seconds later (a service starting, a
 * broker restarted on its port), can meanwhile be the local port of any client's connection (pg,
 * Kafka, HTTP), and the bind fails with EADDRINUSE; below it, only an explicit bind takes a port.
 */
const PICK_RANGE = ((): { low: number; high: number } => {
  let ephemeralStart = 32_768;
  try {
    const [start] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(start) && start > 12_000) ephemeralStart = Math.min(start, ephemeralStart);
  } catch {
    // Not Linux: stay below 32768, under every OS's default ephemeral range.
  }
  return { low: 10_000, high: ephemeralStart };
})();

const randomPort = (count: number): number => PICK_RANGE.low + Math.floor(Math.random() * (PICK_RANGE.high - PICK_RANGE.low - count));

/** Ports this process handed out: a caller picks several before anything binds them, so none is given twice. */
const handedOut = new Set<number>();

/**
 * The first of `count` consecutive ports free on `host`, for what listens on base+1, base+2, …
 * (`npm start`'s services). Each is checked, outside the OS's ephemeral range, and never handed out
 * twice in this process. Another process can still take one before it is bound; the bind then fails fast.
 */
export async function freePortRange(count: number, host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const first = randomPort(count);
    let all = true;
    for (let port = first; port < first + count && all; port++) all = !handedOut.has(port) && (await isPortFree(port, host));
    if (!all) continue;
    for (let port = first; port < first + count; port++) handedOut.add(port);
    return first;
  }
  throw new Error(`no ${count} consecutive free ports found on ${host}`);
}

/** A TCP port free on `host` right now, outside the OS's ephemeral range. */
export const freePort = (host = '127.0.0.1'): Promise<number> => freePortRange(1, host);

/** `count` distinct free ports on `host` (each as `freePort` picks it). */
export async function findFreePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) ports.push(await freePort(host));
  return ports;
}
