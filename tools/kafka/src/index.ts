export {
  DEFAULT_KAFKA_VERSION,
  defaultLibsDir,
  kafkaCacheRoot,
  kafkaToolDir,
  repoRoot,
  resolveKafkaVersion,
} from './config';
export { fetchKafkaJars, type FetchKafkaJarsOptions, type FetchKafkaJarsResult } from './fetch';
export { serverProperties, startKafka, stopAllKafka, type KafkaBroker, type StartKafkaOptions } from './broker';
export { findFreePorts, freePort, freePortRange, isPortFree } from './ports';
