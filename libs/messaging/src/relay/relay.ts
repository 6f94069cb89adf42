import type { Pool } from 'pg';
import type { KafkaConfig, Message, TopicMessages } from 'kafkajs';
import {
  contextOfStream,
  contextTopic,
  DefaultCategoryContexts,
  formatPosition,
  messageKeyOf,
  parsePosition,
  START,
  toEnvelopeJson,
  type Context,
  type Position,
  type RecordedEvent,
} from '@clientela/contracts';
import type { EventStore, Subscription, SubscriptionPage } from '@clientela/event-store';
import { backoffDelay, DEFAULT_BACKOFF, sleep } from '@clientela/postgres';
import { isConnectionError, MessagingUnavailableError } from '../errors';
import { eventHeaders } from '../headers';
import { AdvisoryLease } from '../lease';
import { HealthTracker, type ComponentHealth } from '../health';
import { errorMessage, silentLogger, type LogSink } from '@clientela/platform';
import { messagingMetrics, type MessagingMetrics } from '../metrics';
import { assertSchemaName } from '@clientela/postgres';
import { ProducerThread } from './producer-thread';
import { SendOutOfTurnError } from './send-order';
import { migrateMessaging } from '../schema';

export interface RelayOptions {
  store: EventStore;
  /** Where the checkpoint is kept. */
  pool: Pool;
  /**
   * The brokers and client settings the relay produces with, in a thread of its own (see
   * ProducerThread): kafkaClient's configuration, whose `logCreator` gets the thread's log entries.
   */
  kafka: KafkaConfig;
  /** The checkpoint's name; one relay per name publishes at a time, the others stand by. Default `relay`. */
  name?: string;
  /** How often a standby relay tries to take over. Default 1000 ms. */
  takeoverIntervalMs?: number;
  /** Events per read, and so per produce batch. Default 500. */
  batchSize?: number;
  /**
   * Bytes per produce request, at most (keys, values and headers; an event larger than this goes alone).
   * A page is sent in as many requests as it needs, in order. Default 512 KiB: under Kafka's default
   * 1 MiB per record batch whatever the page size.
   */
  maxBatchBytes?: number;
  /** Which context owns each stream category. Default DefaultCategoryContexts. */
  categories?: Readonly<Record<string, Context>>;
  /** The topic of a context. Default `clientela.<context>.events` (tests give their own names). */
  topicOf?: (context: Context) => string;
  schema?: string;
  metrics?: MessagingMetrics;
  logger?: LogSink;
  /** Called with a page's events once the broker acknowledged them all, before the checkpoint moves (tracing, the bench's stages). */
  onPublished?: (events: readonly RecordedEvent[]) => void;
}

/** Pages whose batches are with the producer thread beyond the one whose answers are awaited. */
const PAGES_AHEAD = 2;

/** Another relay of the same name moved the checkpoint: this one no longer leads. */
class LostLeaseError extends Error {
  constructor(name: string) {
    super(`relay ${name} lost its lease`);
  }
}

/** Turns one page read from the store into one produce batch, a list of messages per topic. */
export const toTopicMessages = (
  events: readonly RecordedEvent[],
  topicOfEvent: (event: RecordedEvent) => string | undefined,
): TopicMessages[] => {
  const byTopic = new Map<string, Message[]>();
  for (const event of events) {
    const topic = topicOfEvent(event);
    if (!topic) continue;
    let messages = byTopic.get(topic);
    if (!messages) byTopic.set(topic, (messages = []));
    messages.push({ key: messageKeyOf(event), value: JSON.stringify(toEnvelopeJson(event)), headers: eventHeaders(event) });
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
};

const RECORD_OVERHEAD_BYTES = 70;

const messageBytes = (message: Message): number => {
  let bytes = RECORD_OVERHEAD_BYTES + Buffer.byteLength(String(message.key ?? '')) + Buffer.byteLength(String(message.value ?? ''));
  for (const [name, value] of Object.entries(message.headers ?? {})) bytes += Buffer.byteLength(name) + Buffer.byteLength(String(value ?? ''));
  return bytes;
};

/**
 * Cuts one page's produce batch into batches of at most `maxBytes` each (a message larger than that
 * alone), keeping the order of each topic's messages: sent one after the other, every partition
 * receives its messages in page order.
 */
export const splitBySize = (topicMessages: readonly TopicMessages[], maxBytes: number): TopicMessages[][] => {
  const batches: TopicMessages[][] = [];
  let current = new Map<string, Message[]>();
  let size = 0;
  const flush = () => {
    if (current.size > 0) batches.push([...current].map(([topic, messages]) => ({ topic, messages })));
    current = new Map();
    size = 0;
  };
  for (const { topic, messages } of topicMessages) {
    for (const message of messages) {
      const bytes = messageBytes(message);
      if (size > 0 && size + bytes > maxBytes) flush();
      let list = current.get(topic);
      if (!list) current.set(topic, (list = []));
      list.push(message);
      size += bytes;
    }
  }
  flush();
  return batches;
};

/**
 * Publishes the event store to Kafka, in order, from a checkpoint in PostgreSQL. A page read from
 * the store is sent in produce batches cut by size (acks from all in-sync replicas); the checkpoint
 * moves only after the broker acknowledged all of them. A broker or database outage pauses it and it resumes where it was:
 * an event can be published twice (consumers dedupe by id), never skipped or reordered per key.
 */
export class Relay {
  readonly name: string;
  private readonly schema: string;
  private readonly metrics: MessagingMetrics;
  private readonly logger: LogSink;
  private readonly abort = new AbortController();
  private readonly kafkaHealth: HealthTracker;
  private readonly postgresHealth: HealthTracker;
  private readonly producer: ProducerThread;
  private subscription: Subscription | undefined;
  private running: Promise<void> | undefined;
  private position: Position = START;
  private failure: unknown;
  private probe: NodeJS.Timeout | undefined;
  private readonly lease: AdvisoryLease;
  private leading = false;
  /** A send failed: pages given behind it are being sent again, and no new page is given until they are. */
  private resending = false;
  /** The last page published whose checkpoint is not written yet, and the write in progress. */
  private unsaved: SubscriptionPage | undefined;
  private saving: Promise<void> | undefined;

  constructor(private readonly options: RelayOptions) {
    this.name = options.name ?? 'relay';
    this.schema = assertSchemaName(options.schema ?? 'messaging');
    this.metrics = options.metrics ?? messagingMetrics();
    this.logger = options.logger ?? silentLogger;
    this.producer = new ProducerThread(options.kafka);
    this.lease = new AdvisoryLease(options.pool, `clientela.relay.${this.name}`, () => {
      this.leading = false;
      void this.subscription?.close();
    });
    const report = (dependency: string) => (health: ComponentHealth) => {
      this.metrics.up.set({ component: this.name, dependency }, health.status === 'up' ? 1 : 0);
      if (health.status === 'down') this.logger.error(`relay cannot reach ${dependency}; retrying`, { relay: this.name, error: health.error });
      else this.logger.info(`relay reaches ${dependency} again`, { relay: this.name });
    };
    this.kafkaHealth = new HealthTracker(`relay ${this.name}: kafka`, report('kafka'));
    this.postgresHealth = new HealthTracker(`relay ${this.name}: postgres`, report('postgres'));
  }

  /** The position up to which every event has been published. */
  get checkpoint(): Position {
    return this.position;
  }

  health(): ComponentHealth[] {
    return [this.kafkaHealth.current(), this.postgresHealth.current()];
  }

  get error(): unknown {
    return this.failure;
  }

  /**
   * Give this to the store's `onTransientError`: the subscription retries a lost database by itself,
   * and this makes the outage visible in health and logs until PostgreSQL answers again.
   */
  reportStoreError(error: unknown): void {
    this.postgresHealth.down(errorMessage(error));
    this.probe ??= setInterval(() => {
      this.options.pool
        .query('select 1')
        .then(() => {
          clearInterval(this.probe);
          this.probe = undefined;
          this.postgresHealth.up();
        })
        .catch(() => undefined);
    }, 1_000);
  }

  /** True while this relay holds the lease and publishes; a second relay of the same name stands by. */
  get isLeading(): boolean {
    return this.leading;
  }

  /** Resolves once this relay knows whether it leads (then it has loaded its checkpoint) or stands by. */
  async start(): Promise<void> {
    await this.untilDone(this.postgresHealth, () => migrateMessaging(this.options.pool, this.schema));
    if (await this.tryLead()) {
      this.position = await this.untilDone(this.postgresHealth, () => this.loadCheckpoint());
      // Ready before the first page instead of on its way; a broker away now is met (and reported) by the first send.
      this.producer.connect().catch(() => undefined);
    }
    this.running = this.lead().catch((error: unknown) => {
      if (this.abort.signal.aborted) return;
      this.failure = error;
      this.logger.error('relay stopped on an error', { relay: this.name, error: errorMessage(error) });
    });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    clearInterval(this.probe);
    await this.subscription?.close();
    await this.running;
    await this.producer.stop().catch(() => undefined);
    await this.releaseLease();
  }

  /** Publishes while it holds the lease; stands by (and tries again) while another relay holds it. */
  private async lead(): Promise<void> {
    while (!this.abort.signal.aborted) {
      if (!this.leading) {
        if (!(await this.tryLead())) {
          await sleep(this.options.takeoverIntervalMs ?? 1_000, this.abort.signal).catch(() => undefined);
          continue;
        }
        this.position = await this.untilDone(this.postgresHealth, () => this.loadCheckpoint());
      }
      try {
        await this.runResubscribing();
      } catch (error) {
        if (!(error instanceof LostLeaseError)) throw error;
        this.logger.warn('relay lost its lease; standing by', { relay: this.name });
      }
      await this.releaseLease();
    }
  }

  /** The shared one-active-instance lease (see AdvisoryLease). */
  private async tryLead(): Promise<boolean> {
    try {
      if (!(await this.lease.tryAcquire())) return false;
    } catch (error) {
      this.postgresHealth.down(errorMessage(error));
      return false;
    }
    this.leading = true;
    this.logger.info('relay leads', { relay: this.name });
    return true;
  }

  private async releaseLease(): Promise<void> {
    this.leading = false;
    await this.lease.release();
  }

  /** A subscription that gives up on a lost database is opened again from the checkpoint. */
  private async runResubscribing(): Promise<void> {
    for (let attempt = 1; !this.abort.signal.aborted && this.leading; attempt++) {
      this.subscription = this.options.store.subscribeToAll({ fromPosition: this.position, batchSize: this.options.batchSize ?? 500, raw: true });
      try {
        await this.run(this.subscription);
        return;
      } catch (error) {
        if (this.abort.signal.aborted || !isConnectionError(error)) throw error;
        this.postgresHealth.down(errorMessage(error));
        await this.subscription.close().catch(() => undefined);
        await sleep(backoffDelay(attempt, { ...DEFAULT_BACKOFF, initialMs: 200 }), this.abort.signal);
      }
    }
  }

  private async run(subscription: Subscription): Promise<void> {
    const categories = this.options.categories ?? DefaultCategoryContexts;
    const topicOf = this.options.topicOf ?? contextTopic;
    const topicOfEvent = (event: RecordedEvent) => {
      const context = contextOfStream(event.streamId, categories);
      return context ? topicOf(context) : undefined;
    };
    const maxBatchBytes = this.options.maxBatchBytes ?? 512 * 1024;
    // A page's batches are given to the producer thread as soon as they are built, up to PAGES_AHEAD
    // pages before the one whose answers are awaited: the thread sends each as the broker answers the
    // one before, without waiting for this thread (busy with appends and consumers) to take the answer
    // and give the next. Pages complete in order (`published`); the checkpoint follows them (saveLatest).
    let published: Promise<void> = Promise.resolve();
    const ahead: Promise<void>[] = [];
    try {
      for await (const page of subscription.pages()) {
        if (this.abort.signal.aborted) return;
        if (!this.leading) throw new LostLeaseError(this.name);
        const batches = splitBySize(toTopicMessages(page.events, topicOfEvent), maxBatchBytes);
        // After a failed send, what was given behind it goes again first, in order; nothing new before that.
        if (this.resending) {
          await published;
          this.resending = false;
        }
        const sends = batches.map((batch) => this.producer.send(batch));
        for (const send of sends) send.catch(() => undefined); // seen in complete()
        published = published.then(() => this.complete(page, batches, sends));
        ahead.push(published);
        if (page.caughtUp) {
          // Live: the next page gathers what arrives while this one is at the broker (fewer, fuller
          // requests at a steady rate, as before pages were sent ahead).
          await published;
          ahead.length = 0;
        } else if (ahead.length > PAGES_AHEAD) await ahead.shift();
      }
    } finally {
      // A stop waits for the pages given and their checkpoint, so that the next relay resumes after
      // them. A failed save (a lost lease) ends the loop as a closed subscription does: lead() sees
      // `leading` false.
      await published.catch(() => undefined);
      while (this.saving) await this.saving;
    }
  }

  /**
   * Waits for the broker's answers to a page's batches, sending again, in order, any that failed or
   * were refused behind a failure; then the page is published and its checkpoint due.
   */
  private async complete(page: SubscriptionPage, batches: readonly TopicMessages[][], sends: readonly Promise<void>[]): Promise<void> {
    for (const [index, batch] of batches.entries()) {
      try {
        await sends[index];
      } catch (error) {
        if (this.abort.signal.aborted) throw new MessagingUnavailableError('relay stopping', error);
        this.resending = true;
        if (!(error instanceof SendOutOfTurnError)) this.kafkaHealth.down(errorMessage(error));
        await this.untilDone(this.kafkaHealth, () => this.producer.send(batch, 'resume'));
      }
    }
    if (batches.length > 0) {
      for (const batch of batches) for (const { topic, messages } of batch) this.metrics.relayed.inc({ relay: this.name, topic }, messages.length);
      this.options.onPublished?.(page.events);
    }
    this.unsaved = page;
    this.startSaving();
  }

  /** One checkpoint writer at a time; a page published as it finished gets another. */
  private startSaving(): void {
    if (this.saving) return;
    this.saving = this.saveLatest().finally(() => {
      this.saving = undefined;
      if (this.unsaved) this.startSaving();
    });
  }

  /**
   * Writes the checkpoint of the last page published, again while pages were published during the
   * write: one write for several pages when they come faster than a write takes, and never on a
   * page's way to the broker. A write that finds another relay moved the checkpoint is how a relay
   * learns it lost the lease (`leading` false, seen before the next page): with pages sent ahead,
   * a page or two late; those are published twice, in order, as after any takeover (consumers dedupe
   * by id).
   */
  private async saveLatest(): Promise<void> {
    for (let page = this.unsaved; page; page = this.unsaved) {
      this.unsaved = undefined;
      const saved = page;
      try {
        await this.untilDone(this.postgresHealth, () => this.saveCheckpoint(saved.position));
      } catch {
        return; // stopping, or the lease is lost: the next relay resumes from the last checkpoint written
      }
      this.position = saved.position;
      const last = saved.events[saved.events.length - 1];
      this.metrics.relayLagSeconds.set({ relay: this.name }, saved.caughtUp || !last ? 0 : Math.max(0, (Date.now() - last.recordedAt.getTime()) / 1000));
    }
  }

  /** Retries work until it succeeds, or the relay stops; says down once, up once. */
  private async untilDone<R>(health: HealthTracker, work: () => Promise<R>): Promise<R> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await work();
        health.up();
        return result;
      } catch (error) {
        if (error instanceof LostLeaseError) throw error;
        health.down(errorMessage(error));
        if (this.abort.signal.aborted) throw new MessagingUnavailableError('relay stopping', error);
        await sleep(backoffDelay(attempt, { ...DEFAULT_BACKOFF, initialMs: 200 }), this.abort.signal);
      }
    }
  }

  private async loadCheckpoint(): Promise<Position> {
    const { rows } = await this.options.pool.query<{ position: string }>(`select position from ${this.schema}.checkpoints where name = $1`, [
      `relay:${this.name}`,
    ]);
    return rows[0] ? parsePosition(rows[0].position) : START;
  }

  /** Moves the checkpoint from where this relay left it; if another relay moved it, this one has lost the lease. */
  private async saveCheckpoint(position: Position): Promise<void> {
    const { rowCount } = await this.options.pool.query(
      `insert into ${this.schema}.checkpoints as c (name, position) values ($1, $2)
       on conflict (name) do update set position = excluded.position, updated_at = now() where c.position = $3`,
      [`relay:${this.name}`, formatPosition(position), formatPosition(this.position)],
    );
    if (rowCount !== 1) {
      this.leading = false;
      throw new LostLeaseError(this.name);
    }
  }
}
