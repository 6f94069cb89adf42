import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { FsyncProbe, isLocalServer } from './disk';
import { epochMs } from './measure';

const probeFiles = (): string[] => readdirSync(tmpdir()).filter((name) => name.startsWith(`clientela-bench-fsync-${process.pid}-`));

describe('FsyncProbe', () => {
  it('times flushes of the real disk in a thread of its own, and answers by time window', async () => {
    const before = epochMs();
    const probe = FsyncProbe.start(20);
    try {
      await new Promise((resolve) => setTimeout(resolve, 400));
      const now = epochMs();
      const sampled = probe.between(before, now);
      if (!sampled) throw new Error('no flush sampled in 400 ms');
      expect(sampled.medianUs).toBeGreaterThan(0);
      expect(sampled.maxUs).toBeGreaterThanOrEqual(sampled.medianUs);
      // A window before the probe started holds no sample.
      expect(probe.between(before - 10_000, before - 5_000)).toBeNull();
      expect(probeFiles()).toHaveLength(1);
    } finally {
      await probe.stop();
    }
    // Its file goes with it.
    expect(probeFiles()).toEqual([]);
  });

  it('is only meaningful for a server on this machine', () => {
    expect(isLocalServer('postgres://postgres@127.0.0.1:5432/postgres')).toBe(true);
    expect(isLocalServer('postgres://postgres@localhost/postgres')).toBe(true);
    expect(isLocalServer('postgres://postgres@db.example.com:5432/postgres')).toBe(false);
  });
});
