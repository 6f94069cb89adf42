// Runs once per jest run, before any test file. Plain JS because jest loads it untransformed;
// @clientela/kafka-runner resolves through node_modules (npm's workspace link), as any package does.
// Checks PostgreSQL, and starts one Kafka broker for the run unless KAFKA_BROKERS names one.
// It is the integration project's setup, so unit-only runs skip it. Workers inherit process.env.
module.exports = async function globalSetup() {
  require('@swc-node/register');
  const { assertPostgresReachable } = require('../postgres/test-database.ts');
  await assertPostgresReachable();
  if (process.env.KAFKA_BROKERS) return;
  const { fetchKafkaJars, startKafka } = require('@clientela/kafka-runner');
  await fetchKafkaJars();
  const broker = await startKafka();
  process.env.KAFKA_BROKERS = broker.brokers.join(',');
  globalThis.__CLIENTELA_KAFKA__ = broker;
};
