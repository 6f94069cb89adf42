import { Partitioners, type Kafka, type Producer, type ProducerConfig } from 'kafkajs';

/**
 * The one way the platform produces: idempotent with one request in flight, so each message is
 * written once and a key's messages stay in order through retries; keys partitioned as Kafka's
 * Java client does (kafkajs' default since 2.0, named here, or kafkajs warns about it at every start).
 */
export const durableProducer = (kafka: Kafka, options: Omit<ProducerConfig, 'idempotent' | 'maxInFlightRequests' | 'createPartitioner'> = {}): Producer =>
  kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner, ...options });
