import 'reflect-metadata';
import { plainToInstance, Transform } from 'class-transformer';
import { IsDefined, IsIn, IsInt, IsIP, IsOptional, IsString, Matches, Max, Min, MinLength, ValidateIf, validateSync } from 'class-validator';
import { ClientelaError } from '@clientela/contracts';

const PORT_PROBLEM = 'PORT must be a port number (1-65535)';

/** The environment every service reads at start (see README, "Configuration"). */
export class PlatformEnvironment {
  /** Where events are stored: PostgreSQL (embedded default) or EventStoreDB (production). */
  @IsIn(['postgres', 'eventstoredb'])
  EVENT_STORE: 'postgres' | 'eventstoredb' = 'postgres';

  @ValidateIf((env: PlatformEnvironment) => env.EVENT_STORE === 'eventstoredb')
  @Matches(/^esdb(\+discover)?:\/\/\S+$/, { message: 'EVENTSTORE_URL must be an esdb:// or esdb+discover:// connection string' })
  @IsString()
  @IsDefined({ message: 'EVENTSTORE_URL is required when EVENT_STORE=eventstoredb' })
  EVENTSTORE_URL?: string;

  /** How services exchange events: event-store subscriptions (standalone) or Kafka. */
  @IsIn(['standalone', 'kafka'])
  BUS: 'standalone' | 'kafka' = 'standalone';

  @ValidateIf((env: PlatformEnvironment) => env.BUS === 'kafka')
  @Matches(/^[^\s,]+:\d+(,[^\s,]+:\d+)*$/, { message: 'KAFKA_BROKERS must be host:port[,host:port...]' })
  @IsString()
  @IsDefined({ message: 'KAFKA_BROKERS is required when BUS=kafka' })
  KAFKA_BROKERS?: string;

  /** PostgreSQL for read models (and for events when EVENT_STORE=postgres). */
  @IsOptional()
  @IsString()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// connection string' })
  DATABASE_URL?: string;

  /** Prefixes every topic and consumer group, so several platforms (or test runs) can share one cluster. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]{1,100}$/, { message: 'KAFKA_TOPIC_PREFIX may hold letters, digits, ".", "_" and "-" only' })
  KAFKA_TOPIC_PREFIX?: string;

  @IsOptional()
  @IsIn(['debug', 'info', 'warn', 'error', 'silent'])
  LOG_LEVEL?: string;

  /**
   * Wraps the per-person keys that personal data is sealed with (32 random bytes in base64:
   * `openssl rand -base64 32`). `npm start` keeps a generated one in the data folder.
   */
  @IsOptional()
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'CLIENTELA_MASTER_KEY must be 32 bytes in base64 (openssl rand -base64 32)' })
  CLIENTELA_MASTER_KEY?: string;

  /** During a master key rotation: the keys data keys may still be wrapped with, comma-separated. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9+/]{43}=(,[A-Za-z0-9+/]{43}=)*$/, { message: 'CLIENTELA_MASTER_KEY_PREVIOUS must be base64 keys of 32 bytes, comma-separated' })
  CLIENTELA_MASTER_KEY_PREVIOUS?: string;

  // A value that is no number stays as given, so the problem quotes it.
  @Transform(({ value }) => (value === undefined || value === '' ? 3000 : Number.isFinite(Number(value)) ? Number(value) : value))
  @IsInt({ message: PORT_PROBLEM })
  @Min(1, { message: PORT_PROBLEM })
  @Max(65535, { message: PORT_PROBLEM })
  PORT = 3000;

  /**
   * The address to listen on. A service listens on loopback by default (under `npm start` only the
   * gateway is reached from outside), the gateway on every address; in a container a service needs
   * `0.0.0.0`, for the gateway to reach it over the network; then only the gateway may (a service
   * trusts the role and actor headers the gateway sets): GATEWAY_SECRET, and deploy/kubernetes/network-policy.yaml.
   */
  @IsOptional()
  @IsIP(undefined, { message: 'HOST must be an IP address to listen on, such as 0.0.0.0 or 127.0.0.1' })
  HOST?: string;

  /**
   * Shared by the gateway and the services: the gateway sends it with every request it forwards,
   * and a service with it set answers its `/api/` routes to no one else (they trust the role and
   * actor headers the gateway sets). `npm start` generates one; set it wherever a service listens
   * beyond loopback.
   */
  @IsOptional()
  @Matches(/^[\x21-\x7e]+$/, { message: 'GATEWAY_SECRET must be printable ASCII without spaces' })
  @MinLength(32, { message: 'GATEWAY_SECRET must be at least 32 characters (a high-entropy secret: openssl rand -hex 24)' })
  GATEWAY_SECRET?: string;
}

export interface PlatformConfig {
  eventStore: { kind: 'postgres'; databaseUrl?: string } | { kind: 'eventstoredb'; url: string };
  bus: { kind: 'standalone' } | { kind: 'kafka'; brokers: string[]; topicPrefix: string };
  databaseUrl?: string;
  logLevel: string;
  port: number;
  /** The address to listen on (HOST); absent: the process's own default (a service loopback, the gateway every address). */
  host?: string;
  /** GATEWAY_SECRET: present, the gateway sends it and the services' `/api/` routes require it. */
  gatewaySecret?: string;
  /** Present when CLIENTELA_MASTER_KEY is set: personal fields are then stored sealed (libs/personal-data). */
  personalData?: { masterKey: string; previousMasterKeys: string };
}

/** The configuration is wrong: every problem is listed, one line each, so a start fails once with all of them. */
export class ConfigError extends ClientelaError {
  readonly code = 'invalid_configuration';
  readonly status = 500;
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  override details(): Record<string, unknown> {
    return { problems: this.problems };
  }
}

export const PLATFORM_ENV_KEYS = [
  'EVENT_STORE',
  'EVENTSTORE_URL',
  'BUS',
  'KAFKA_BROKERS',
  'KAFKA_TOPIC_PREFIX',
  'DATABASE_URL',
  'LOG_LEVEL',
  'PORT',
  'HOST',
  'GATEWAY_SECRET',
  'CLIENTELA_MASTER_KEY',
  'CLIENTELA_MASTER_KEY_PREVIOUS',
] as const;

/** Never echoed in a configuration error, since the start-up log would keep them: secrets, and connection strings, which may hold a password. */
export const SECRET_ENV_KEYS: ReadonlySet<string> = new Set(['CLIENTELA_MASTER_KEY', 'CLIENTELA_MASTER_KEY_PREVIOUS', 'GATEWAY_SECRET', 'DATABASE_URL', 'EVENTSTORE_URL']);

/** The violations of a checked environment, one line each, with the value given unless it is a secret. */
export const configProblems = (parsed: object, secrets: ReadonlySet<string> = SECRET_ENV_KEYS): string[] =>
  validateSync(parsed, { stopAtFirstError: true }).flatMap((error) =>
    Object.values(error.constraints ?? {}).map((message) =>
      error.value === undefined || secrets.has(error.property) ? message : `${message} (got ${JSON.stringify(error.value)})`,
    ),
  );

/**
 * Reads and checks the environment once, at start; code below never reads process.env.
 * Empty strings count as unset.
 */
export const loadPlatformConfig = (env: Record<string, string | undefined> = process.env): PlatformConfig => {
  const present = Object.fromEntries(PLATFORM_ENV_KEYS.filter((k) => env[k] !== undefined && env[k] !== '').map((k) => [k, env[k]]));
  const parsed = plainToInstance(PlatformEnvironment, present);
  const problems = configProblems(parsed);
  if (parsed.CLIENTELA_MASTER_KEY_PREVIOUS && !parsed.CLIENTELA_MASTER_KEY) problems.push('CLIENTELA_MASTER_KEY_PREVIOUS is set without CLIENTELA_MASTER_KEY');
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    eventStore:
      parsed.EVENT_STORE === 'eventstoredb'
        ? { kind: 'eventstoredb', url: parsed.EVENTSTORE_URL as string }
        : { kind: 'postgres', ...(parsed.DATABASE_URL ? { databaseUrl: parsed.DATABASE_URL } : {}) },
    bus:
      parsed.BUS === 'kafka'
        ? { kind: 'kafka', brokers: (parsed.KAFKA_BROKERS as string).split(','), topicPrefix: parsed.KAFKA_TOPIC_PREFIX ?? '' }
        : { kind: 'standalone' },
    ...(parsed.DATABASE_URL ? { databaseUrl: parsed.DATABASE_URL } : {}),
    logLevel: parsed.LOG_LEVEL ?? 'info',
    port: parsed.PORT,
    ...(parsed.HOST ? { host: parsed.HOST } : {}),
    ...(parsed.GATEWAY_SECRET ? { gatewaySecret: parsed.GATEWAY_SECRET } : {}),
    ...(parsed.CLIENTELA_MASTER_KEY
      ? { personalData: { masterKey: parsed.CLIENTELA_MASTER_KEY, previousMasterKeys: parsed.CLIENTELA_MASTER_KEY_PREVIOUS ?? '' } }
      : {}),
  };
};

/**
 * Outside standalone mode (Kafka, EventStoreDB) personal data must be sealed: Kafka and EventStoreDB
 * keep every copy for good, so data written in clear there could never be erased. A service refuses
 * to start without a master key; standalone mode (`npm start`) generates one and says so.
 */
export const masterKeyProblem = (config: PlatformConfig): string | undefined =>
  config.personalData || (config.bus.kind === 'standalone' && config.eventStore.kind === 'postgres')
    ? undefined
    : `CLIENTELA_MASTER_KEY is required when ${config.bus.kind === 'kafka' ? 'BUS=kafka' : 'EVENT_STORE=eventstoredb'}: personal data there is kept in copies that cannot be erased unless it is sealed (32 bytes in base64: openssl rand -base64 32)`;

/** 127.0.0.0/8 and ::1: addresses only this machine reaches. */
const isLoopback = (host: string): boolean => host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);

/**
 * A service trusts the role and actor headers the gateway sets, so a service that listens beyond
 * loopback (HOST) must be told the gateway's secret, or anything that reaches it could call it as an
 * admin: it refuses to start without GATEWAY_SECRET then (on loopback, only this machine can call it).
 */
export const gatewaySecretProblem = (config: PlatformConfig): string | undefined =>
  config.gatewaySecret || config.host === undefined || isLoopback(config.host)
    ? undefined
    : `GATEWAY_SECRET is required when a service listens beyond loopback (HOST=${config.host}): it trusts the role the gateway forwards, so without the secret anything that reaches it could call it as an admin (openssl rand -hex 24, the same for the gateway)`;
