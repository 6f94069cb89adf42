import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The Prometheus metrics of relays and consumers; one set per registry, shared by all of them. */
export interface MessagingMetrics {
  handled: Counter<'consumer' | 'type'>;
  retries: Counter<'consumer'>;
  deadLetters: Counter<'consumer' | 'code'>;
  /** Kafka: messages between the consumer's position and the partition's end. */
  kafkaLag: Gauge<'consumer' | 'topic' | 'partition'>;
  /** Event store: seconds between now and the newest event handled, 0 once caught up (positions are not dense). */
  storeLagSeconds: Gauge<'consumer'>;
  /** Events published by the relay. */
  relayed: Counter<'relay' | 'topic'>;
  relayLagSeconds: Gauge<'relay'>;
  batchSeconds: Histogram<'consumer'>;
  /** 1 while the dependency is reachable as far as this process knows, else 0. */
  up: Gauge<'component' | 'dependency'>;
}

const cache = new WeakMap<Registry, MessagingMetrics>();

export const messagingMetrics = (registry: Registry = new Registry()): MessagingMetrics => {
  const existing = cache.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const metrics: MessagingMetrics = {
    handled: new Counter({ name: 'clientela_messaging_events_handled_total', help: 'Events handled (first time only)', labelNames: ['consumer', 'type'], registers }),
    retries: new Counter({ name: 'clientela_messaging_retries_total', help: 'Handler retries after a failure', labelNames: ['consumer'], registers }),
    deadLetters: new Counter({ name: 'clientela_messaging_dead_letters_total', help: 'Messages dead-lettered', labelNames: ['consumer', 'code'], registers }),
    kafkaLag: new Gauge({ name: 'clientela_messaging_kafka_lag_messages', help: 'Consumer lag in Kafka offsets', labelNames: ['consumer', 'topic', 'partition'], registers }),
    storeLagSeconds: new Gauge({ name: 'clientela_messaging_store_lag_seconds', help: 'Age of the newest event handled while behind the store', labelNames: ['consumer'], registers }),
    relayed: new Counter({ name: 'clientela_messaging_relayed_total', help: 'Events published by the relay', labelNames: ['relay', 'topic'], registers }),
    relayLagSeconds: new Gauge({ name: 'clientela_messaging_relay_lag_seconds', help: 'Age of the newest event relayed while behind the store', labelNames: ['relay'], registers }),
    batchSeconds: new Histogram({ name: 'clientela_messaging_batch_seconds', help: 'Time to handle one batch', labelNames: ['consumer'], registers, buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5] }),
    up: new Gauge({ name: 'clientela_messaging_dependency_up', help: 'Whether a dependency is reachable', labelNames: ['component', 'dependency'], registers }),
  };
  cache.set(registry, metrics);
  return metrics;
};
