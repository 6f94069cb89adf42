import { parsePosition, type Position } from '@clientela/contracts';
import type { AdminConnections } from '@clientela/admin';
import { UsageError } from './usage-error';
import { localTarget, openLocal, remoteOf, remoteTarget, type AdminTarget, type GlobalOptions } from './target';

/** What every command gets: its streams, the environment, and the way to the platform (opened once, closed at the end). */
export class CliContext {
  private connections: Promise<AdminConnections> | undefined;
  private adminTarget: AdminTarget | undefined;

  constructor(
    readonly out: NodeJS.WritableStream,
    readonly err: NodeJS.WritableStream,
    readonly env: NodeJS.ProcessEnv,
    readonly globals: () => GlobalOptions,
  ) {}

  /** Operations that the gateway's admin API also serves: there with --url, else here. */
  async target(): Promise<AdminTarget> {
    if (this.adminTarget) return this.adminTarget;
    const remote = remoteOf(this.globals(), this.env);
    this.adminTarget = remote ? remoteTarget(remote) : localTarget(await this.local());
    return this.adminTarget;
  }

  /** Operations that read the store in bulk run next to it, never through the gateway. */
  local(command?: string): Promise<AdminConnections> {
    if (command && remoteOf(this.globals(), this.env)) {
      return Promise.reject(new UsageError(`${command} reads the event store directly and has no admin route: run it without --url, with DATABASE_URL (and EVENT_STORE) as the services have them`));
    }
    this.connections ??= openLocal(this.globals(), this.env);
    return this.connections;
  }

  async close(): Promise<void> {
    await this.adminTarget?.close();
    await (await this.connections?.catch(() => undefined))?.close();
  }
}

/** `--type a --type b,c` → [a, b, c] */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];

/** An option's parser (commander calls it with the value): a date or time. */
export const dateOption = (name: string) => (value: string): Date => {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`${name} must be a date or time, like 2026-01-31 or 2026-01-31T12:00:00Z (got ${JSON.stringify(value)})`);
  return date;
};

/** An option's parser: a position of the store (`--from-position`, `--to-position`). */
export const positionOption = (name: string) => (value: string): Position => {
  try {
    return parsePosition(value, name);
  } catch {
    throw new UsageError(`${name} must be a non-negative integer, a position of the store (got ${JSON.stringify(value)})`);
  }
};

export const positiveInt = (name: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${name} must be a positive whole number (got ${JSON.stringify(value)})`);
  return n;
};

export const nonNegativeInt = (name: string) => (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < 0) throw new UsageError(`${name} must be a whole number, 0 or more (got ${JSON.stringify(value)})`);
  return n;
};

export const positiveNumber = (name: string) => (value: string): number => {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(`${name} must be a positive number (got ${JSON.stringify(value)})`);
  return n;
};
