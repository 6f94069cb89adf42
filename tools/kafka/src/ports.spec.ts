import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { findFreePorts, freePortRange, isPortFree } from './ports';

const ephemeralStart = (): number => {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return 32_768;
  }
};

describe('port picking', () => {
  it('picks consecutive free ports below the ephemeral range, never the same twice in a process', async () => {
    const seen = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const first = await freePortRange(6);
      for (let port = first; port < first + 6; port++) {
        expect(port).toBeGreaterThanOrEqual(10_000);
        expect(port).toBeLessThan(Math.min(ephemeralStart(), 32_768));
        expect(seen.has(port)).toBe(false);
        expect(await isPortFree(port)).toBe(true);
        seen.add(port);
      }
    }
    const ports = await findFreePorts(3);
    expect(new Set(ports).size).toBe(3);
    for (const port of ports) expect(seen.has(port)).toBe(false);
  });

  it('says a port something listens on is not free', async () => {
    const port = await freePortRange(1);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      expect(await isPortFree(port)).toBe(false);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
