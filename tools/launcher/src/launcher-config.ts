import { resolve } from 'node:path';
import { ConfigError, loadPlatformConfig, masterKeyProblem, type PlatformConfig } from '@clientela/platform';

/** The services `npm start` runs, in start order; the gateway comes last, in front of them. */
export const SERVICES = ['contacts', 'sales', 'analytics'] as const;

export interface LauncherConfig {
  platform: PlatformConfig;
  /** Where the embedded PostgreSQL keeps its data (CLIENTELA_DATA_DIR, default `.data`). */
  dataDir: string;
  /** Port of the embedded PostgreSQL (CLIENTELA_PG_PORT, default 54329: never the machine's own 5432). */
  postgresPort: number;
  /** The gateway's port (PORT, default 3000). */
  gatewayPort: number;
  /** Each service listens on base + its place in SERVICES + 1 (CLIENTELA_SERVICE_PORT_BASE, default 3100). */
  servicePortBase: number;
  /** ADMIN_API_KEY; unset, the launcher makes one and keeps it in the data folder. */
  adminApiKey?: { key: string; from: string };
}

const port = (env: Record<string, string | undefined>, name: string, fallback: number, problems: string[]): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) problems.push(`${name} must be a port number (1-65535) (got ${JSON.stringify(raw)})`);
  return value;
};

/** The launcher's own settings and the platform's, checked together: one start, one list of problems. */
export const loadLauncherConfig = (env: Record<string, string | undefined>, cwd: string): LauncherConfig => {
  const problems: string[] = [];
  let platform: PlatformConfig | undefined;
  try {
    platform = loadPlatformConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  const config = {
    dataDir: resolve(cwd, env.CLIENTELA_DATA_DIR || '.data'),
    postgresPort: port(env, 'CLIENTELA_PG_PORT', 54329, problems),
    // The gateway's PORT, checked by the platform's configuration.
    gatewayPort: platform?.port ?? 3000,
    servicePortBase: port(env, 'CLIENTELA_SERVICE_PORT_BASE', 3100, problems),
    ...(env.ADMIN_API_KEY ? { adminApiKey: { key: env.ADMIN_API_KEY, from: 'from ADMIN_API_KEY' } } : {}),
  };
  // npm start generates a master key in standalone mode only (cli.ts); elsewhere it must be given.
  const noKey = platform && masterKeyProblem(platform);
  if (noKey) problems.push(noKey);
  if (problems.length > 0 || !platform) throw new ConfigError(problems);
  return { platform, ...config };
};
