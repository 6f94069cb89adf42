/**
 * What runs in a relay's producer thread (see producer-thread.ts): a kafkajs client built from the
 * relay's Kafka configuration and one durable producer. Each request is a produce batch, answered
 * once the broker acknowledged it (acks from all in-sync replicas) or with the error; kafkajs's log
 * entries go to the main thread, whose logger writes them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { KafkaConfig, LogEntry, Producer } from 'kafkajs';
import { durableProducer } from '../durable-producer';
import { kafkaClient } from '../kafka-socket-factory';
import type { ProducerThreadAnswer, ProducerThreadRequest } from './producer-thread-protocol';
import { SendOrder } from './send-order';

const port = parentPort;
if (!port) throw new Error('producer-thread-entry runs in a worker thread');

/**
 * kafkajs warns about the bounded retries below each time it makes the producer. They are bounded on
 * purpose (an outage must reach the relay's health and log), and the relay sends a failed page again on
 * a fresh producer, consumers deduping: said here once, not in every service's log at every start.
 */
const BOUNDED_RETRIES_WARNING = 'Limiting retries for the idempotent producer may invalidate EoS guarantees';

const config = workerData as KafkaConfig;
const kafka = kafkaClient({
  ...config,
  logCreator: () => (entry: LogEntry) => {
    if (entry.log.message !== BOUNDED_RETRIES_WARNING) port.postMessage({ kind: 'log', entry } satisfies ProducerThreadAnswer);
  },
});
/** The producer, connected or connecting: a send that comes during the connect waits for the same one. */
let producer: Promise<Producer> | undefined;
/** The producer once connected: what a stop disconnects (one still connecting ends with the thread). */
let connected: Producer | undefined;

const connect = async (): Promise<Producer> => {
  const created = durableProducer(kafka, {
    allowAutoTopicCreation: false,
    // Bounded, so an outage surfaces in the relay (health, logs) instead of hanging inside kafkajs.
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2_000 },
  });
  try {
    await created.connect();
  } catch (error) {
    await created.disconnect().catch(() => undefined);
    throw error;
  }
  connected = created;
  return created;
};

/** Drops a producer that failed (to connect or to send) and disconnects it, if it is still the current one. */
const drop = async (failed: Promise<Producer>): Promise<void> => {
  if (producer !== failed) return;
  producer = undefined;
  const closing = connected;
  connected = undefined;
  await closing?.disconnect().catch(() => undefined);
};

const errorOf = (error: unknown): { name: string; message: string } =>
  error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };

/** Sends go one at a time, in the order posted; after a failure the ones behind it are refused. */
const order = new SendOrder();
let sending: Promise<void> = Promise.resolve();

const send = async (request: Extract<ProducerThreadRequest, { kind: 'send' }>): Promise<void> => {
  if (!order.admit(request.mode)) return port.postMessage({ kind: 'refused', id: request.id } satisfies ProducerThreadAnswer);
  const current = (producer ??= connect());
  try {
    await (await current).sendBatch({ topicMessages: request.topicMessages, acks: -1 });
  } catch (error) {
    order.fail();
    // A fresh producer after a failure: the idempotent producer's sequence numbers would be out of step.
    await drop(current);
    return port.postMessage({ kind: 'failed', id: request.id, error: errorOf(error) } satisfies ProducerThreadAnswer);
  }
  port.postMessage({ kind: 'sent', id: request.id } satisfies ProducerThreadAnswer);
};

port.on('message', (request: ProducerThreadRequest) => {
  switch (request.kind) {
    case 'disconnect': {
      // Not waiting for a connect in progress: while the broker is away that takes kafkajs's retries,
      // and the thread is ended after this answer anyway.
      const closing = connected;
      producer = undefined;
      connected = undefined;
      void (closing?.disconnect() ?? Promise.resolve())
        .catch(() => undefined)
        .then(() => port.postMessage({ kind: 'disconnected' } satisfies ProducerThreadAnswer));
      return;
    }
    case 'connect': {
      const current = (producer ??= connect());
      current.then(
        () => port.postMessage({ kind: 'sent', id: request.id } satisfies ProducerThreadAnswer),
        async (error: unknown) => {
          await drop(current);
          port.postMessage({ kind: 'failed', id: request.id, error: errorOf(error) } satisfies ProducerThreadAnswer);
        },
      );
      return;
    }
    case 'send':
      // The next batch waits here, already in this thread, for the broker's answer to the one before.
      sending = sending.then(() => send(request));
      return;
  }
});

port.postMessage({ kind: 'ready' } satisfies ProducerThreadAnswer);
