// One jest run for the whole workspace. Two groups: `unit` (pure logic, no I/O)
// and `integration` (*.int.spec.ts: real PostgreSQL and a real Kafka broker).
// The integration project's globalSetup checks PostgreSQL and starts one shared Kafka broker per run.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

const moduleNameMapper = {
  '^@clientela/contracts$': '<rootDir>/libs/contracts/src/index.ts',
  '^@clientela/event-store$': '<rootDir>/libs/event-store/src/index.ts',
  '^@clientela/event-store/testing$': '<rootDir>/libs/event-store/src/testing/index.ts',
  '^@clientela/postgres$': '<rootDir>/libs/postgres/src/index.ts',
  '^@clientela/testing$': '<rootDir>/libs/testing/src/index.ts',
  '^@clientela/projections$': '<rootDir>/libs/projections/src/index.ts',
  '^@clientela/projections/testing$': '<rootDir>/libs/projections/src/testing/index.ts',
  '^@clientela/messaging$': '<rootDir>/libs/messaging/src/index.ts',
  '^@clientela/platform$': '<rootDir>/libs/platform/src/index.ts',
  '^@clientela/service-kit$': '<rootDir>/libs/service-kit/src/index.ts',
  '^@clientela/service-kit/testing$': '<rootDir>/libs/service-kit/src/testing/index.ts',
  '^@clientela/kafka-runner$': '<rootDir>/tools/kafka/src/index.ts',
  '^@clientela/launcher$': '<rootDir>/tools/launcher/src/index.ts',
  '^@clientela/admin$': '<rootDir>/libs/admin/src/index.ts',
  '^@clientela/personal-data$': '<rootDir>/libs/personal-data/src/index.ts',
  '^@clientela/cli$': '<rootDir>/tools/cli/src/index.ts',
};

const { existsSync } = require('node:fs');
const roots = ['libs', 'apps', 'tools'].filter((dir) => existsSync(`${__dirname}/${dir}`)).map((dir) => `<rootDir>/${dir}`);
const common = {
  rootDir: __dirname,
  roots,
  // content-disposition 2 (under @fastify/static, for the Swagger UI) ships ES modules only; Node 20 loads
  // them with require(), jest does not, so swc turns that one package into CommonJS.
  transform: { '^.+\\.ts$': swc, '^.+/node_modules/content-disposition/.+\\.js$': swc },
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
  moduleNameMapper,
  testEnvironment: 'node',
  setupFiles: ['reflect-metadata'],
};

module.exports = {
  verbose: false,
  testTimeout: 120_000,
  // Test files run one after another in one worker process (two cores, one platform at a time), and
  // that process keeps what every file before left on its heap: by the last files it held 2 GB, and
  // the CDNOW e2e took 254 s there against 141 s alone. A worker past this after a file is replaced.
  // (Set, it also makes jest use a worker process rather than run in band in its own.)
  workerIdleMemoryLimit: '1GB',
  reporters: ['default', '<rootDir>/libs/testing/src/jest/summary-reporter.js'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['**/*.spec.ts', '!**/*.int.spec.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['**/*.int.spec.ts'],
      // Project-level, so it runs only when an integration test is selected.
      globalSetup: '<rootDir>/libs/testing/src/jest/global-setup.js',
      globalTeardown: '<rootDir>/libs/testing/src/jest/global-teardown.js',
    },
  ],
};
