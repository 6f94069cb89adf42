import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';

const canListen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/**
 * Where test servers' ports are picked: below the range the OS hands out for outgoing connections
 * (and for `listen(0)`). A port from that range, let go and bound again seconds later by a service
 * starting up, can meanwhile be the local port of any client's connection (pg, Kafka, HTTP), and the
 * service fails with EADDRINUSE; below it, only an explicit bind takes a port.
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

/** Ports this process handed out: a test picks several before anything binds them, so none is given twice. */
const handedOut = new Set<number>();

/** A TCP port on 127.0.0.1 that nothing listens on right now, outside the OS's ephemeral range. */
export const freePort = (): Promise<number> => freePortRange(1);

/**
 * The first of `count` consecutive free ports on 127.0.0.1, for what listens on base+1, base+2, …
 * (`npm start`'s services). Each is checked, outside the OS's ephemeral range.
 */
export const freePortRange = async (count: number): Promise<number> => {
  for (let attempt = 0; attempt < 200; attempt++) {
    const first = randomPort(count);
    let all = true;
    for (let port = first; port < first + count && all; port++) all = !handedOut.has(port) && (await canListen(port));
    if (!all) continue;
    for (let port = first; port < first + count; port++) handedOut.add(port);
    return first;
  }
  throw new Error(`no ${count} consecutive free ports found on 127.0.0.1`);
};

const isRefused = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });

/**
 * A port on 127.0.0.1 where a connection is refused, and stays refused: one of the privileged
 * ports, checked. A port that `freePort` picked and let go can be taken by any other test's server,
 * which then answers where a test expects a refusal.
 */
export const refusedPort = async (): Promise<number> => {
  for (let port = 1; port < 1024; port++) if (await isRefused(port)) return port;
  throw new Error('no port below 1024 refuses connections on 127.0.0.1');
};
