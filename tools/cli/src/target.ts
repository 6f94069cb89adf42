import { setTimeout as sleep } from 'node:timers/promises';
import { UsageError } from './usage-error';
import {
  listDeadLetters,
  openAdminConnections,
  projectionStatuses,
  rebuildProjection,
  redriveDeadLetters,
  replay,
  resetProjection,
  showDeadLetter,
  storeStatistics,
  UnreachableError,
  type AdminConnections,
  type DeadLetterSelection,
  type ProjectionStatusJson,
  type ReplayOptions,
  type ReplayResult,
  type StoreStatistics,
} from '@clientela/admin';
import type { StoredDeadLetter } from '@clientela/messaging';
// The config file alone, not the package: its index brings Nest (health, filters), which `events` has no use for.
import { loadPlatformConfig } from '@clientela/platform/src/config/platform-config';

/** Where the admin operations run: on this machine, with the services' configuration; or at a gateway. */
export interface AdminTarget {
  readonly where: string;
  storeStatistics(): Promise<StoreStatistics>;
  projectionStatuses(name?: string): Promise<ProjectionStatusJson[]>;
  rebuildProjection(name: string): Promise<ProjectionStatusJson>;
  resetProjection(name: string): Promise<ProjectionStatusJson & { clearedDeadLetters: number }>;
  replay(options: ReplayOptions): Promise<ReplayResult>;
  listDeadLetters(selection: DeadLetterSelection): Promise<StoredDeadLetter[]>;
  showDeadLetter(id: string): Promise<StoredDeadLetter>;
  redriveDeadLetters(selection: DeadLetterSelection & { ids?: string[] }): Promise<number>;
  close(): Promise<void>;
}

export interface GlobalOptions {
  url?: string;
  apiKey?: string;
  kafkaBrokers?: string;
}

/** The environment the CLI reads: the services' own variables, and CLIENTELA_URL / CLIENTELA_API_KEY for a gateway. */
export const remoteOf = (options: GlobalOptions, env: NodeJS.ProcessEnv): { url: string; apiKey: string } | undefined => {
  const url = options.url ?? (env.CLIENTELA_URL || undefined);
  if (!url) return undefined;
  const apiKey = options.apiKey ?? (env.CLIENTELA_API_KEY || undefined);
  if (!apiKey) throw new UsageError('--url needs --api-key (or CLIENTELA_API_KEY): an admin API key of the gateway');
  try {
    new URL(url);
  } catch {
    throw new UsageError(`--url must be the gateway's URL, like http://127.0.0.1:3000 (got ${JSON.stringify(url)})`);
  }
  return { url: url.replace(/\/+$/, ''), apiKey };
};

/** The platform's own connections, from the same environment the services read (loadPlatformConfig). */
export const openLocal = async (options: GlobalOptions, env: NodeJS.ProcessEnv): Promise<AdminConnections> => {
  const config = loadPlatformConfig(env);
  return openAdminConnections(config, {
    clientId: 'clientela-cli',
    ...(options.kafkaBrokers ? { kafkaBrokers: options.kafkaBrokers.split(',') } : {}),
  });
};

export const localTarget = (connections: AdminConnections): AdminTarget => ({
  where: 'local',
  storeStatistics: () => storeStatistics(connections),
  projectionStatuses: (name) => projectionStatuses(connections, name),
  rebuildProjection: (name) => rebuildProjection(connections, name),
  resetProjection: (name) => resetProjection(connections, name),
  replay: (options) => replay(connections, options),
  listDeadLetters: (selection) => listDeadLetters(connections, selection),
  showDeadLetter: (id) => showDeadLetter(connections, id),
  redriveDeadLetters: (selection) => redriveDeadLetters(connections, selection),
  close: () => connections.close(),
});

/** The gateway answered with a problem: its status, title and detail, as the CLI prints them. */
export class GatewayProblemError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Record<string, unknown>,
  ) {
    super(`the gateway answered ${status}: ${String(problem.detail ?? problem.title ?? 'no detail')}`);
  }
}

/** What the gateway answered, its JSON body parsed. */
export interface GatewayAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export interface GatewayRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  /** A JSON value, or for a streamed body a function that opens it (again, when the request is sent again). */
  json?: unknown;
  stream?: () => ReadableStream;
}

/** How many times a request refused for the key's rate (429) is sent again, each after the gateway's Retry-After. */
const RATE_LIMITED_TRIES = 20;

/**
 * One request to the gateway with the key: the answer's JSON, or a typed failure
 * (UnreachableError, GatewayProblemError). A 429 is waited out as its Retry-After says and sent
 * again: the gateway refuses before forwarding anything, so it is always safe to.
 */
export const callGateway = async (remote: { url: string; apiKey: string }, path: string, request: GatewayRequest = {}): Promise<GatewayAnswer> => {
  for (let tries = 1; ; tries++) {
    let response: Response;
    try {
      response = await fetch(`${remote.url}${path}`, {
        method: request.method ?? 'GET',
        headers: { 'x-api-key': remote.apiKey, ...(request.json === undefined ? {} : { 'content-type': 'application/json' }), ...request.headers },
        ...(request.json !== undefined ? { body: JSON.stringify(request.json) } : request.stream ? { body: request.stream(), duplex: 'half' } : {}),
      } as RequestInit);
    } catch (error) {
      throw new UnreachableError('the gateway', `${remote.url} (--url)`, (error as { cause?: unknown }).cause ?? error);
    }
    const text = await response.text();
    let body: Record<string, unknown>;
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      body = { detail: `not JSON: ${text.slice(0, 200)}` };
    }
    if (response.status === 429 && tries < RATE_LIMITED_TRIES) {
      const wait = Number(response.headers.get('retry-after'));
      await sleep(Math.min(Number.isFinite(wait) && wait > 0 ? wait : 1, 60) * 1_000);
      continue;
    }
    if (!response.ok) throw new GatewayProblemError(response.status, body);
    return { status: response.status, headers: response.headers, body };
  }
};

/** The admin API at a gateway (`/api/v1/admin/...`), with an admin key. */
export const remoteTarget = (remote: { url: string; apiKey: string }): AdminTarget => {
  const call = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> =>
    (await callGateway(remote, `/api/v1/admin/${path}`, { method, ...(body === undefined ? {} : { json: body }) })).body as T;
  const query = (selection: DeadLetterSelection) => {
    const params = new URLSearchParams(Object.entries(selection).filter((e): e is [string, string] => typeof e[1] === 'string'));
    return params.size ? `?${params}` : '';
  };
  return {
    where: remote.url,
    storeStatistics: () => call('GET', 'streams/stats'),
    projectionStatuses: async (name) =>
      name ? [await call<ProjectionStatusJson>('GET', `projections/${encodeURIComponent(name)}`)] : (await call<{ items: ProjectionStatusJson[] }>('GET', 'projections')).items,
    rebuildProjection: (name) => call('POST', `projections/${encodeURIComponent(name)}/rebuild`),
    resetProjection: (name) => call('POST', `projections/${encodeURIComponent(name)}/reset`),
    replay: ({ signal: _signal, onProgress: _onProgress, pageSize: _pageSize, ...options }) =>
      call('POST', 'replays', {
        ...options,
        fromPosition: options.fromPosition?.toString(),
        toPosition: options.toPosition?.toString(),
        since: options.since?.toISOString(),
        until: options.until?.toISOString(),
      }),
    listDeadLetters: async (selection) => (await call<{ items: StoredDeadLetter[] }>('GET', `dead-letters${query(selection)}`)).items,
    showDeadLetter: (id) => call('GET', `dead-letters/${encodeURIComponent(id)}`),
    redriveDeadLetters: async (selection) => (await call<{ redriven: number }>('POST', 'dead-letters/redrive', selection)).redriven,
    close: async () => undefined,
  };
};
