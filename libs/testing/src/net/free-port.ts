import { connect } from 'node:net';

/**
 * Test servers' ports: picked below the OS's ephemeral range, checked, never twice in a process. The
 * broker runner picks its ports the same way (it is the lower layer), so both share one set of ports
 * handed out.
 */
export { freePort, freePortRange } from '@clientela/kafka-runner';

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
