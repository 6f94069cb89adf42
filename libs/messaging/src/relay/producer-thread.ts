import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { KafkaConfig, TopicMessages, logCreator } from 'kafkajs';
import { logLevel } from 'kafkajs';
import type { ProducerThreadAnswer, ProducerThreadRequest } from './producer-thread-protocol';
import { SendOrder, SendOutOfTurnError, type SendMode } from './send-order';

/** The thread's entry: under TypeScript (tests, `npm start`) it first registers the compiler the main thread runs with. */
const threadSource = (): string => {
  const entry = join(__dirname, `producer-thread-entry${extname(__filename)}`);
  const register = extname(__filename) === '.ts' ? `require(${JSON.stringify(require.resolve('@swc-node/register'))});` : '';
  return `${register}require(${JSON.stringify(entry)});`;
};

/** The thread ended or would not start; the relay retries the send, which starts another. */
export class ProducerThreadError extends Error {
  override readonly name = 'ProducerThreadError';
}

/** A produce error as the thread reported it (kafkajs's error name and message). */
export class ProduceFailedError extends Error {
  constructor(
    readonly kafkaErrorName: string,
    message: string,
  ) {
    super(`${kafkaErrorName}: ${message}`);
    this.name = 'ProduceFailedError';
  }
}

interface Pending {
  resolve: () => void;
  reject: (error: Error) => void;
  /** A send (a connect that fails loses no batch). */
  send: boolean;
}

/**
 * A relay's producer in a thread of its own. Encoding produce requests (kafkajs allocates and fills
 * a buffer per header and record, and checksums each batch) is about a third of the CPU of a process
 * that appends, relays and consumes; here it runs beside the appends and the consumers instead of in
 * their way. The relay builds the messages and cuts them by size; the thread sends each batch with
 * the platform's one durable producer and answers when the broker acknowledged it. A thread that
 * dies fails what was in flight and the next send starts another: the relay retries as after any
 * failed send, and its checkpoint has not moved.
 */
export class ProducerThread {
  private worker: Worker | undefined;
  private ready: Promise<Worker> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** What the thread's own SendOrder cannot know: a failure it did not live to see, or one already answered. */
  private readonly order = new SendOrder();
  private readonly log: ReturnType<logCreator> | undefined;

  /**
   * `config`: what kafkaClient takes. The thread builds its own client with the platform's socket
   * factory; `logCreator` stays here and gets the thread's log entries; no other function can be
   * given to a thread (ProducerThreadError on the first send). `source`: the thread's code (tests
   * give another), by default producer-thread-entry's.
   */
  constructor(
    private readonly config: KafkaConfig,
    private readonly source: string = threadSource(),
  ) {
    this.log = config.logCreator?.(config.logLevel ?? logLevel.INFO);
  }

  /** Starts the thread and connects its producer, so that the first send does not wait for them. */
  connect(): Promise<void> {
    return this.request((id) => ({ kind: 'connect', id }));
  }

  /**
   * Sends one produce batch; resolves once the broker acknowledged it. Batches go to the broker one at
   * a time in the order given, so the next can be given while one is on its way. `next` (the default)
   * is refused with SendOutOfTurnError, unsent, when a send before it failed (here or in the thread),
   * until a `resume` send: see SendOrder.
   */
  send(topicMessages: TopicMessages[], mode: SendMode = 'next'): Promise<void> {
    if (!this.order.admit(mode)) return Promise.reject(new SendOutOfTurnError());
    return this.request((id) => ({ kind: 'send', id, mode, topicMessages }));
  }

  private request(make: (id: number) => ProducerThreadRequest): Promise<void> {
    return this.started().then(
      (worker) =>
        new Promise<void>((resolve, reject) => {
          // Ended since it started (its exit already failed what was in flight, and the order): this
          // one would wait for ever.
          if (this.worker !== worker) return reject(new ProducerThreadError("the relay's producer thread ended"));
          const id = this.nextId++;
          const request = make(id);
          this.pending.set(id, { resolve, reject, send: request.kind === 'send' });
          worker.postMessage(request);
        }),
    );
  }

  /** Disconnects the producer and ends the thread; the next send starts another. */
  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const ready = this.ready;
    await ready?.catch(() => undefined);
    if (this.worker !== worker) return;
    const disconnected = new Promise<void>((resolve) => {
      const done = (message: ProducerThreadAnswer) => {
        if (message.kind !== 'disconnected') return;
        worker.off('message', done);
        resolve();
      };
      worker.on('message', done);
      worker.once('exit', () => resolve());
    });
    worker.postMessage({ kind: 'disconnect' } satisfies ProducerThreadRequest);
    await Promise.race([disconnected, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    this.forget(worker, new ProducerThreadError('the relay stopped'));
    await worker.terminate();
  }

  private started(): Promise<Worker> {
    this.ready ??= new Promise<Worker>((resolve, reject) => {
      const { logCreator: _logCreator, socketFactory: _socketFactory, ...config } = this.config;
      let worker: Worker;
      try {
        worker = new Worker(this.source, { eval: true, workerData: config });
      } catch (error) {
        // A function left in the configuration cannot be cloned into the thread.
        this.ready = undefined;
        this.order.fail();
        reject(new ProducerThreadError(`the relay's producer thread cannot start: ${error instanceof Error ? error.message : String(error)}`));
        return;
      }
      this.worker = worker;
      worker.on('message', (message: ProducerThreadAnswer) => {
        switch (message.kind) {
          case 'ready':
            resolve(worker);
            return;
          case 'sent':
            this.settle(message.id)?.resolve();
            return;
          case 'failed': {
            const pending = this.settle(message.id);
            if (pending?.send) this.order.fail();
            pending?.reject(new ProduceFailedError(message.error.name, message.error.message));
            return;
          }
          case 'refused':
            this.settle(message.id)?.reject(new SendOutOfTurnError());
            return;
          case 'log':
            this.log?.(message.entry);
            return;
          case 'disconnected':
            return;
        }
      });
      const fail = (error: Error) => {
        reject(error);
        this.forget(worker, error);
      };
      worker.on('error', (error) => fail(new ProducerThreadError(`the relay's producer thread failed: ${error.message}`)));
      worker.on('exit', (code) => fail(new ProducerThreadError(`the relay's producer thread exited (code ${code})`)));
    });
    return this.ready;
  }

  private settle(id: number): Pending | undefined {
    const pending = this.pending.get(id);
    this.pending.delete(id);
    return pending;
  }

  /** Fails what the thread had in flight; the next send starts a new thread. */
  private forget(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.ready = undefined;
    // What was in flight or waiting for this thread to start was not sent, or not for certain: the next
    // thread must not send what is given after it first.
    this.order.fail();
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    void worker.terminate();
  }
}
