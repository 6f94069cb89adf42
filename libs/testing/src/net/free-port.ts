import { connect, createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });

const canListen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/**
 * The first of `count` consecutive free ports on 127.0.0.1, for what listens on base+1, base+2, …
 * (`npm start`'s services). Each is checked, not guessed next to one the OS picked.
 */
export const freePortRange = async (count: number): Promise<number> => {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = await freePort();
    if (first + count > 65_535) continue;
    let all = true;
    for (let port = first + 1; port < first + count && all; port++) all = await canListen(port);
    if (all) return first;
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
 * ports, checked. A port that `freePort` picked and let go can be taken by any other test's server
 * (the OS hands ephemeral ports out again), which then answers where a test expects a refusal.
 */
export const refusedPort = async (): Promise<number> => {
  for (let port = 1; port < 1024; port++) if (await isRefused(port)) return port;
  throw new Error('no port below 1024 refuses connections on 127.0.0.1');
};
