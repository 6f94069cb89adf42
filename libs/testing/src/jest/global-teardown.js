module.exports = async function globalTeardown() {
  const broker = globalThis.__CLIENTELA_KAFKA__;
  if (broker) await broker.stop();
};
