import { readFileSync } from 'node:fs';
import { round } from './measure';

/** /proc's clock ticks a second (USER_HZ, 100 on Linux): the unit of /proc/<pid>/stat's CPU times. */
const TICK_US = 1e6 / 100;

/** CPU µs (user + system) a process has used, from /proc (not its children's); undefined once it has gone, or off Linux. */
export const processCpuUs = (pid: number): number | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command's closing parenthesis (a command may hold one): state first, utime and stime 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_US;
  } catch {
    return undefined;
  }
};

/** Peak resident memory of a process since it started (VmHWM), in MiB; undefined once it has gone. */
export const peakRssMiB = (pid: number): number | undefined => {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
    return round(Number(line?.replace(/\D+/g, '') ?? 0) / 1024, 1);
  } catch {
    return undefined;
  }
};
