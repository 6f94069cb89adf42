import { ConfigError } from '@clientela/platform';
import { loadGatewayConfig } from './gateway-config';

const base = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/clientela', SERVICE_URLS: 'contacts=http://127.0.0.1:3101,sales=http://127.0.0.1:3102,analytics=http://127.0.0.1:3103' };

const problemsOf = (env: Record<string, string | undefined>): string[] => {
  try {
    loadGatewayConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('gateway config', () => {
  it('reads the defaults', () => {
    expect(loadGatewayConfig(base)).toEqual({
      port: 3000,
      databaseUrl: base.DATABASE_URL,
      services: { contacts: 'http://127.0.0.1:3101', sales: 'http://127.0.0.1:3102', analytics: 'http://127.0.0.1:3103' },
      apiKeyCacheTtlMs: 5000,
      upstream: { connectTimeoutMs: 2000, timeoutMs: 30000 },
      logLevel: 'info',
      rateLimits: { perSecond: 100, burstSeconds: 2, authFailuresPerMinute: 60 },
      platform: { eventStore: { kind: 'postgres', databaseUrl: base.DATABASE_URL }, bus: { kind: 'standalone' }, databaseUrl: base.DATABASE_URL, logLevel: 'info', port: 3000 },
    });
  });

  it('reads the services\' configuration too, for the admin operations, and lists its problems with its own', () => {
    expect(loadGatewayConfig({ ...base, BUS: 'kafka', KAFKA_BROKERS: '127.0.0.1:9092' }).platform?.bus).toEqual({ kind: 'kafka', brokers: ['127.0.0.1:9092'], topicPrefix: '' });
    expect(problemsOf({ ...base, BUS: 'kafka' })).toEqual(['KAFKA_BROKERS is required when BUS=kafka']);
  });

  it('reads every variable', () => {
    const config = loadGatewayConfig({
      ...base,
      PORT: '8080',
      SERVICE_URLS: 'contacts=http://127.0.0.1:3101/,sales=https://sales.internal:8443,analytics=http://127.0.0.1:3103',
      ADMIN_API_KEY: 'x'.repeat(40),
      API_KEY_CACHE_TTL_MS: '0',
      UPSTREAM_CONNECT_TIMEOUT_MS: '500',
      UPSTREAM_TIMEOUT_MS: '1000',
      RATE_LIMIT_PER_SECOND: '0',
      RATE_LIMIT_BURST_SECONDS: '10',
      AUTH_FAILURES_PER_MINUTE: '5',
      TRUST_PROXY: '10.0.0.0/8, 192.168.1.1',
      LOG_LEVEL: 'silent',
    });
    expect(config).toMatchObject({
      port: 8080,
      services: { contacts: 'http://127.0.0.1:3101', sales: 'https://sales.internal:8443' },
      adminApiKey: 'x'.repeat(40),
      apiKeyCacheTtlMs: 0,
      upstream: { connectTimeoutMs: 500, timeoutMs: 1000 },
      rateLimits: { perSecond: 0, burstSeconds: 10, authFailuresPerMinute: 5 },
      trustProxy: '10.0.0.0/8,192.168.1.1',
      logLevel: 'silent',
    });
    expect([loadGatewayConfig({ ...base, TRUST_PROXY: 'true' }).trustProxy, loadGatewayConfig({ ...base, TRUST_PROXY: '2' }).trustProxy]).toEqual([true, 2]);
    expect(problemsOf({ ...base, TRUST_PROXY: 'the balancer' })).toEqual([expect.stringMatching(/^TRUST_PROXY must be true, false, a number of proxies/)]);
  });

  it('reads the bearer tokens\' configuration, and refuses an incomplete one', () => {
    expect(loadGatewayConfig({ ...base, JWT_JWKS_URL: 'https://id.example.com/jwks', JWT_ISSUER: 'https://id.example.com', JWT_AUDIENCE: 'clientela' }).bearerTokens).toEqual({
      jwksUrl: 'https://id.example.com/jwks',
      issuer: 'https://id.example.com',
      audience: 'clientela',
      rolesClaim: 'roles',
    });
    expect(loadGatewayConfig({ ...base, JWT_SECRET: 's'.repeat(32), JWT_ISSUER: 'me', JWT_AUDIENCE: 'us', JWT_ROLES_CLAIM: 'realm_access.roles' }).bearerTokens).toEqual({ secret: 's'.repeat(32), issuer: 'me', audience: 'us', rolesClaim: 'realm_access.roles' });
    expect(problemsOf({ ...base, JWT_SECRET: 'short', JWT_JWKS_URL: 'ftp://x' })).toEqual([
      "JWT_JWKS_URL must be the identity provider's http(s) URL of its JSON Web Key Set (got \"ftp://x\")",
      'JWT_SECRET must be at least 32 characters (a high-entropy secret)',
      'JWT_JWKS_URL and JWT_SECRET are two ways to check bearer tokens: set one',
      'JWT_ISSUER is required with JWT_JWKS_URL or JWT_SECRET: the iss every token must carry',
      'JWT_AUDIENCE is required with JWT_JWKS_URL or JWT_SECRET: the aud every token must carry',
    ]);
    expect(problemsOf({ ...base, JWT_ISSUER: 'me' })).toEqual(['JWT_ISSUER and JWT_AUDIENCE need JWT_JWKS_URL or JWT_SECRET: where the keys come from']);
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({ PORT: 'abc', API_KEY_CACHE_TTL_MS: '999999', LOG_LEVEL: 'loud', RATE_LIMIT_BURST_SECONDS: '0' });
    expect(problems).toHaveLength(6);
    expect(problems.join('\n')).toMatch(/DATABASE_URL is required/);
    expect(problems.join('\n')).toMatch(/SERVICE_URLS is required/);
  });

  it('refuses a malformed SERVICE_URLS', () => {
    expect(problemsOf({ ...base, SERVICE_URLS: 'contacts:3101' })[0]).toMatch(/name=http/);
    expect(problemsOf({ ...base, SERVICE_URLS: 'contacts=http://a:1/base' })[0]).toMatch(/bare origin/);
    expect(problemsOf({ ...base, SERVICE_URLS: 'contacts=http://a:1,contacts=http://b:1' })[0]).toMatch(/twice/);
  });

  it('needs a URL for every service of the route table', () => {
    expect(problemsOf({ ...base, SERVICE_URLS: 'sales=http://127.0.0.1:3102,analytics=http://127.0.0.1:3103' })).toEqual([
      "SERVICE_URLS has no URL for contacts (named in the gateway's route table)",
    ]);
  });

  it('refuses a short admin key without echoing it', () => {
    const problems = problemsOf({ ...base, ADMIN_API_KEY: 'secret' });
    expect(problems).toEqual(['ADMIN_API_KEY must be at least 32 characters (a high-entropy secret)']);
  });
});
