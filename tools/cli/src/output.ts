import { once } from 'node:events';
import { SingleBar, type Options } from 'cli-progress';

/** Writes to stdout, waiting when the pipe is full: a slow reader holds the CLI back instead of filling its memory. */
export const write = async (out: NodeJS.WritableStream, text: string): Promise<void> => {
  if (!out.write(text)) await once(out, 'drain');
};

export const printJson = (out: NodeJS.WritableStream, value: unknown): Promise<void> => write(out, `${JSON.stringify(value, null, 2)}\n`);

/** A plain text table: a header, one line per row, columns padded to their widest cell. */
export const table = (headers: string[], rows: Array<Array<string | number>>): string => {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return `${cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n')}\n`;
};

export const formatBytes = (bytes: number): string => {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
};

export const formatNumber = (n: number): string => n.toLocaleString('en-US');

/**
 * A progress bar on stderr (stdout stays for data). Not on a terminal it prints a line every 500 ms and
 * a last one when it stops, so logs and tests see it too.
 */
export const progressBar = (err: NodeJS.WritableStream, format: string, options: Partial<Options> = {}): SingleBar =>
  new SingleBar({
    format,
    stream: err,
    noTTYOutput: true,
    notTTYSchedule: 500,
    hideCursor: true,
    etaBuffer: 50,
    ...options,
  });
