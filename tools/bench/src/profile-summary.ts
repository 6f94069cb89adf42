/**
 * Sums the self time of .cpuprofile files (BENCH_CPU_PROFILE_DIR) by function, to say where a
 * measured part's CPU goes without opening DevTools:
 *   node tools/bench/profile-summary.js dir/eventstore.append.batch.sealed.r1.cpuprofile [more...] [--top N] [--by file]
 * Several files are summed together (e.g. every round of one contender).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time in microseconds per key (function and place, or file), summed over the profiles. */
export const selfTimes = (profiles: readonly CpuProfile[], by: 'function' | 'file'): Map<string, number> => {
  const totals = new Map<string, number>();
  for (const profile of profiles) {
    const keys = new Map<number, string>();
    for (const { id, callFrame } of profile.nodes) {
      const place = callFrame.url.replace(/^.*\/(node_modules|libs|tools|apps)\//, '$1/') || '(native)';
      keys.set(id, by === 'file' ? place : `${callFrame.functionName || '(anonymous)'} ${place}:${callFrame.lineNumber + 1}`);
    }
    // timeDeltas[i] is the time before sample i: the time of sample i is the next delta.
    for (let i = 0; i < profile.samples.length; i++) {
      const key = keys.get(profile.samples[i]) ?? '?';
      totals.set(key, (totals.get(key) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
    }
  }
  return totals;
};

const main = (args: readonly string[]): void => {
  const files: string[] = [];
  let top = 40;
  let by: 'function' | 'file' = 'function';
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--top') top = Number(args[++i]);
    else if (args[i] === '--by') by = args[++i] === 'file' ? 'file' : 'function';
    else files.push(args[i]);
  }
  if (files.length === 0) throw new Error('usage: profile-summary <file.cpuprofile>... [--top N] [--by function|file]');
  const totals = selfTimes(files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as CpuProfile), by);
  const all = [...totals.values()].reduce((sum, us) => sum + us, 0);
  console.log(`${(all / 1e6).toFixed(2)} s sampled in ${files.length} profile(s)`);
  for (const [key, us] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(us / 1e3).toFixed(0).padStart(8)} ms ${((100 * us) / all).toFixed(1).padStart(5)}%  ${key}`);
  }
};

export { main };
