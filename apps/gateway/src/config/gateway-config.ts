import 'reflect-metadata';
import { plainToInstance, Transform } from 'class-transformer';
import { IsDefined, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { ConfigError, configProblems, loadPlatformConfig, SECRET_ENV_KEYS, type PlatformConfig } from '@clientela/platform';
import type { BearerTokenConfig } from '../bearer-tokens/bearer-tokens';
import { DEFAULT_RATE_LIMITS, type RateLimitConfig } from '../rate-limits/rate-limits';
import { ROUTES, servicesOf } from '../routing/routes';

const toInt = (fallback: number) => ({ value }: { value: unknown }) => (value === undefined || value === '' ? fallback : Number(value));

/** The environment the gateway reads at start (see apps/gateway/README.md). */
export class GatewayEnvironment {
  /** Where the gateway keeps its own state (API keys, schema `gateway`). */
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// connection string' })
  @IsString()
  @IsDefined({ message: 'DATABASE_URL is required (the gateway keeps its API keys there)' })
  DATABASE_URL?: string;

  /** `name=http://host:port[,name=url...]`: the base URL of every service the route table names. */
  @Matches(/^[a-z][a-z0-9-]*=https?:\/\/[^\s,=]+(,[a-z][a-z0-9-]*=https?:\/\/[^\s,=]+)*$/, {
    message: 'SERVICE_URLS must be name=http://host:port[,name=url...]',
  })
  @IsString()
  @IsDefined({ message: 'SERVICE_URLS is required: name=http://host:port[,name=url...]' })
  SERVICE_URLS?: string;

  /** Created as an admin key on first start when no key with its hash exists. */
  @IsOptional()
  @Matches(/^[\x21-\x7e]+$/, { message: 'ADMIN_API_KEY must be printable ASCII without spaces' })
  @MinLength(32, { message: 'ADMIN_API_KEY must be at least 32 characters (a high-entropy secret)' })
  @IsString()
  ADMIN_API_KEY?: string;

  /** How long a verified key is trusted without asking PostgreSQL again: a revoked key stops within this. */
  @Transform(toInt(5_000))
  @IsInt()
  @Min(0)
  @Max(60_000)
  API_KEY_CACHE_TTL_MS = 5_000;

  @Transform(toInt(2_000))
  @IsInt()
  @Min(100)
  @Max(60_000)
  UPSTREAM_CONNECT_TIMEOUT_MS = 2_000;

  /** Longest wait for a service's response headers, and longest silence inside a body. */
  @Transform(toInt(30_000))
  @IsInt()
  @Min(100)
  @Max(600_000)
  UPSTREAM_TIMEOUT_MS = 30_000;

  /** Requests a second an API key may make on average (a key may have its own); 0: no limit. */
  @Transform(toInt(DEFAULT_RATE_LIMITS.perSecond))
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  RATE_LIMIT_PER_SECOND = DEFAULT_RATE_LIMITS.perSecond;

  /** How many seconds of its rate a key may spend at once. */
  @Transform(toInt(DEFAULT_RATE_LIMITS.burstSeconds))
  @IsInt()
  @Min(1)
  @Max(3_600)
  RATE_LIMIT_BURST_SECONDS = DEFAULT_RATE_LIMITS.burstSeconds;

  /** Refused API keys one client address may present a minute; past it, 429 until the minute refills. 0: no limit. */
  @Transform(toInt(DEFAULT_RATE_LIMITS.authFailuresPerMinute))
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  AUTH_FAILURES_PER_MINUTE = DEFAULT_RATE_LIMITS.authFailuresPerMinute;

  /**
   * Whom to believe about the client's address (X-Forwarded-For), as Fastify's `trustProxy`: unset or
   * `false` the connection's peer, `true` the left-most address, a number that many proxies, or the
   * proxies' addresses (IPs or CIDRs, comma-separated). Behind a load balancer every client would
   * otherwise be the balancer, and the refused-key limit would lock them all out together.
   */
  @IsOptional()
  @Matches(/^(true|false|\d{1,2}|[0-9a-fA-F:.]+(\/\d{1,3})?(\s*,\s*[0-9a-fA-F:.]+(\/\d{1,3})?)*)$/, {
    message: 'TRUST_PROXY must be true, false, a number of proxies, or the proxies\' addresses (IPs or CIDRs, comma-separated)',
  })
  @IsString()
  TRUST_PROXY?: string;

  /** People's bearer tokens (JWT), from an identity provider: its JSON Web Key Set. */
  @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: 'JWT_JWKS_URL must be the identity provider\'s http(s) URL of its JSON Web Key Set' })
  @IsString()
  JWT_JWKS_URL?: string;

  /** Or tokens signed with a shared secret (HS256/384/512), without an identity provider. */
  @IsOptional()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters (a high-entropy secret)' })
  @IsString()
  JWT_SECRET?: string;

  /** The `iss` a token must carry. */
  @IsOptional()
  @IsString()
  JWT_ISSUER?: string;

  /** The `aud` a token must carry (this platform, as the identity provider names it). */
  @IsOptional()
  @IsString()
  JWT_AUDIENCE?: string;

  /** The claim listing a person's roles; `admin` among them makes an admin. */
  @Matches(/^[A-Za-z0-9_.:/-]{1,100}$/, { message: 'JWT_ROLES_CLAIM must be a claim name' })
  @IsString()
  JWT_ROLES_CLAIM = 'roles';

  @IsIn(['debug', 'info', 'warn', 'error', 'silent'])
  LOG_LEVEL: 'debug' | 'info' | 'warn' | 'error' | 'silent' = 'info';
}

export interface GatewayConfig {
  port: number;
  databaseUrl: string;
  /** Service name → base URL (no trailing slash). */
  services: Record<string, string>;
  adminApiKey?: string;
  apiKeyCacheTtlMs: number;
  upstream: { connectTimeoutMs: number; timeoutMs: number };
  logLevel: GatewayEnvironment['LOG_LEVEL'];
  /** Per key and per refused address (from the environment always); absent: no limits, as in tests that hammer the gateway. */
  rateLimits?: RateLimitConfig;
  /** People's bearer tokens (JWT_*); absent: API keys only. */
  bearerTokens?: BearerTokenConfig;
  /** Fastify's `trustProxy` (TRUST_PROXY): who tells the client's address. */
  trustProxy?: boolean | number | string;
  /** The services' own configuration (event store, bus, Kafka), for the admin operations. */
  platform?: PlatformConfig;
}

/** The gateway's own variables; PORT, HOST and the rest it reads through the platform's configuration. */
export const GATEWAY_ENV_KEYS = [
  'DATABASE_URL',
  'SERVICE_URLS',
  'ADMIN_API_KEY',
  'API_KEY_CACHE_TTL_MS',
  'UPSTREAM_CONNECT_TIMEOUT_MS',
  'UPSTREAM_TIMEOUT_MS',
  'RATE_LIMIT_PER_SECOND',
  'RATE_LIMIT_BURST_SECONDS',
  'AUTH_FAILURES_PER_MINUTE',
  'TRUST_PROXY',
  'JWT_JWKS_URL',
  'JWT_SECRET',
  'JWT_ISSUER',
  'JWT_AUDIENCE',
  'JWT_ROLES_CLAIM',
  'LOG_LEVEL',
] as const;

/** Never echoed in a configuration error: the platform's secrets and the gateway's own. */
const GATEWAY_SECRETS: ReadonlySet<string> = new Set([...SECRET_ENV_KEYS, 'ADMIN_API_KEY', 'JWT_SECRET']);

const trustProxyOf = (value: string): boolean | number | string =>
  value === 'true' ? true : value === 'false' ? false : /^\d+$/.test(value) ? Number(value) : value.split(',').map((v) => v.trim()).join(',');

/** `contacts=http://127.0.0.1:3101,sales=http://…` → { contacts: 'http://127.0.0.1:3101', … }; problems listed. */
export const parseServiceUrls = (value: string): { services: Record<string, string>; problems: string[] } => {
  const services: Record<string, string> = {};
  const problems: string[] = [];
  for (const entry of value.split(',')) {
    const [name, url] = entry.split('=', 2) as [string, string];
    if (name in services) problems.push(`SERVICE_URLS names ${name} twice`);
    try {
      const parsed = new URL(url);
      if (parsed.pathname !== '/' || parsed.search || parsed.hash || parsed.username) {
        problems.push(`SERVICE_URLS: the URL of ${name} must be a bare origin like http://127.0.0.1:3101 (got ${JSON.stringify(url)})`);
      }
      services[name] = parsed.origin;
    } catch {
      problems.push(`SERVICE_URLS: the URL of ${name} is not a URL (got ${JSON.stringify(url)})`);
    }
  }
  return { services, problems };
};

/**
 * Reads and checks the gateway's environment once, at start; code below never reads process.env.
 * Every service the route table names must have a URL. Empty strings count as unset.
 */
export const loadGatewayConfig = (
  env: Record<string, string | undefined> = process.env,
  routes: Readonly<Record<string, string>> = ROUTES,
): GatewayConfig => {
  const present = Object.fromEntries(GATEWAY_ENV_KEYS.filter((k) => env[k] !== undefined && env[k] !== '').map((k) => [k, env[k]]));
  const parsed = plainToInstance(GatewayEnvironment, present);
  const problems = configProblems(parsed, GATEWAY_SECRETS);
  let services: Record<string, string> = {};
  if (problems.length === 0) {
    const fromUrls = parseServiceUrls(parsed.SERVICE_URLS as string);
    services = fromUrls.services;
    problems.push(...fromUrls.problems);
    const missing = servicesOf(routes).filter((service) => !(service in services));
    if (missing.length > 0) problems.push(`SERVICE_URLS has no URL for ${missing.join(', ')} (named in the gateway's route table)`);
  }
  const jwt = parsed.JWT_JWKS_URL !== undefined || parsed.JWT_SECRET !== undefined;
  if (parsed.JWT_JWKS_URL !== undefined && parsed.JWT_SECRET !== undefined) problems.push('JWT_JWKS_URL and JWT_SECRET are two ways to check bearer tokens: set one');
  if (jwt && parsed.JWT_ISSUER === undefined) problems.push('JWT_ISSUER is required with JWT_JWKS_URL or JWT_SECRET: the iss every token must carry');
  if (jwt && parsed.JWT_AUDIENCE === undefined) problems.push('JWT_AUDIENCE is required with JWT_JWKS_URL or JWT_SECRET: the aud every token must carry');
  if (!jwt && (parsed.JWT_ISSUER !== undefined || parsed.JWT_AUDIENCE !== undefined)) problems.push('JWT_ISSUER and JWT_AUDIENCE need JWT_JWKS_URL or JWT_SECRET: where the keys come from');
  let platform: PlatformConfig | undefined;
  try {
    platform = loadPlatformConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // LOG_LEVEL is read by both: say each problem once.
    problems.push(...error.problems.filter((problem) => !problems.includes(problem)));
  }
  if (problems.length > 0 || !platform) throw new ConfigError(problems);
  return {
    platform,
    port: platform.port,
    databaseUrl: parsed.DATABASE_URL as string,
    services,
    ...(parsed.ADMIN_API_KEY ? { adminApiKey: parsed.ADMIN_API_KEY } : {}),
    apiKeyCacheTtlMs: parsed.API_KEY_CACHE_TTL_MS,
    upstream: { connectTimeoutMs: parsed.UPSTREAM_CONNECT_TIMEOUT_MS, timeoutMs: parsed.UPSTREAM_TIMEOUT_MS },
    logLevel: parsed.LOG_LEVEL,
    ...(parsed.TRUST_PROXY ? { trustProxy: trustProxyOf(parsed.TRUST_PROXY) } : {}),
    ...(jwt
      ? {
          bearerTokens: {
            ...(parsed.JWT_JWKS_URL ? { jwksUrl: parsed.JWT_JWKS_URL } : { secret: parsed.JWT_SECRET as string }),
            issuer: parsed.JWT_ISSUER as string,
            audience: parsed.JWT_AUDIENCE as string,
            rolesClaim: parsed.JWT_ROLES_CLAIM,
          },
        }
      : {}),
    rateLimits: { perSecond: parsed.RATE_LIMIT_PER_SECOND, burstSeconds: parsed.RATE_LIMIT_BURST_SECONDS, authFailuresPerMinute: parsed.AUTH_FAILURES_PER_MINUTE },
  };
};
