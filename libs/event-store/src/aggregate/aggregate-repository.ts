import {
  nameBasedUuid,
  START,
  type Decider,
  type DomainEvent,
  type EventMetadata,
  type Position,
  type RecordedEvent,
  type StreamId,
} from '@clientela/contracts';
import type { EventStore } from '../port/event-store';
import { IdempotencyConflictError, InvalidArgumentError, StreamNotFoundError, WrongExpectedRevisionError } from '../port/errors';

/** Namespace of the event ids derived from idempotency keys (a fixed, random UUID). */
const IDEMPOTENCY_NAMESPACE = '3b0c3a53-7f0e-4f43-9a4f-6d1c1f7e2b90';

export const eventIdFromKey = (idempotencyKey: string, index: number): string =>
  nameBasedUuid(`${idempotencyKey}#${index}`, IDEMPOTENCY_NAMESPACE);

export interface LoadedAggregate<State> {
  state: State;
  /** Revision of the last event, -1 for a new stream. */
  revision: number;
  /** Position of the last event read, START for a new stream. */
  position: Position;
  events: RecordedEvent[];
}

export interface HandleOptions {
  /** The same key makes a retried command append nothing and return the first answer. */
  idempotencyKey?: string;
  /** Copied onto every event appended: correlation, causation, actor, source, occurredAt. */
  metadata?: Omit<Partial<EventMetadata>, 'schemaVersion'>;
  /** Refuse unless the stream is at this revision (HTTP If-Match). */
  expectedRevision?: number;
}

export interface HandleResult<State, Event> {
  state: State;
  /** The events this command appended (the first answer's, for a retried command). */
  events: Event[];
  nextRevision: number;
  /** Position of the last event of the stream after the command: send it as X-Min-Position. */
  position: Position;
  /** True when an idempotency key matched an earlier command. */
  replayed: boolean;
}

export interface AggregateRepositoryOptions {
  /** Attempts on a concurrency conflict before it is given to the caller (409). Default 3. */
  maxAttempts?: number;
}

/**
 * Runs a decider against a stream: load and fold, decide, append with the expected
 * revision, and on a conflict reload and decide again a bounded number of times.
 */
export class AggregateRepository {
  private readonly maxAttempts: number;

  constructor(
    private readonly store: EventStore,
    options: AggregateRepositoryOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 3;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) throw new TypeError('maxAttempts must be >= 1');
  }

  async load<State, Event extends DomainEvent>(
    streamId: StreamId,
    decider: Pick<Decider<State, never, Event>, 'initialState' | 'evolve'>,
  ): Promise<LoadedAggregate<State>> {
    let events: RecordedEvent[];
    try {
      events = await this.store.readStream(streamId);
    } catch (error) {
      if (!(error instanceof StreamNotFoundError)) throw error;
      events = [];
    }
    let state = decider.initialState();
    for (const event of events) state = decider.evolve(state, event as unknown as Event);
    const last = events[events.length - 1];
    return { state, revision: last?.revision ?? -1, position: last?.position ?? START, events };
  }

  async handle<State, Command, Event extends DomainEvent<string, Record<string, unknown>>>(
    streamId: StreamId,
    decider: Decider<State, Command, Event>,
    command: Command,
    options: HandleOptions = {},
  ): Promise<HandleResult<State, Event>> {
    if (options.idempotencyKey !== undefined && options.idempotencyKey.trim() === '') {
      throw new InvalidArgumentError('idempotencyKey must not be empty');
    }
    for (let attempt = 1; ; attempt++) {
      const loaded = await this.load(streamId, decider);
      const replay = this.replayOf(loaded, options.idempotencyKey);
      if (replay) return { ...replay, state: loaded.state } as HandleResult<State, Event>;
      if (options.expectedRevision !== undefined && options.expectedRevision !== loaded.revision) {
        throw new WrongExpectedRevisionError(streamId, options.expectedRevision, loaded.revision);
      }

      const decided = decider.decide(command, loaded.state);
      if (decided.length === 0) {
        return { state: loaded.state, events: [], nextRevision: loaded.revision, position: loaded.position, replayed: false };
      }
      const key = options.idempotencyKey;
      try {
        const result = await this.store.append(
          streamId,
          decided.map((event, index) => ({
            ...(key ? { id: eventIdFromKey(key, index) } : {}),
            type: event.type,
            data: event.data,
            metadata: options.metadata,
          })),
          { expectedRevision: loaded.revision < 0 ? 'no_stream' : loaded.revision },
        );
        const state = decided.reduce(decider.evolve, loaded.state);
        return { state, events: decided, nextRevision: result.nextRevision, position: result.position, replayed: false };
      } catch (error) {
        // A retry that loaded the stream before the first attempt's append committed decides again
        // and sends the key's ids with its own metadata (a new request id): the store refuses them
        // as another event, but it is the same command, so it gets the first answer.
        if (error instanceof IdempotencyConflictError && key) {
          const raced = await this.load(streamId, decider);
          const replay = this.replayOf(raced, key);
          if (replay) return { ...replay, state: raced.state } as HandleResult<State, Event>;
        }
        const retry = error instanceof WrongExpectedRevisionError && options.expectedRevision === undefined;
        if (!retry || attempt >= this.maxAttempts) throw error;
      }
    }
  }

  /** The first answer of a command whose idempotency key already produced events in this stream. */
  private replayOf(loaded: LoadedAggregate<unknown>, key: string | undefined) {
    if (!key) return undefined;
    const firstId = eventIdFromKey(key, 0);
    const start = loaded.events.findIndex((e) => e.id === firstId);
    if (start < 0) return undefined;
    const events: RecordedEvent[] = [];
    for (let i = start; i < loaded.events.length && loaded.events[i].id === eventIdFromKey(key, i - start); i++) {
      events.push(loaded.events[i]);
    }
    const last = events[events.length - 1];
    return {
      events: events.map(({ type, data }) => ({ type, data })),
      nextRevision: last.revision,
      position: last.position,
      replayed: true,
    };
  }
}
