import {
  ANY,
  BACKWARDS,
  END,
  NO_STREAM,
  STREAM_EXISTS,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type AppendExpectedRevision,
  type AppendResult,
  type EventData,
  type EventStoreDBClient,
  type ReadStreamOptions,
  type ResolvedEvent,
  type StreamMetadata,
  jsonEvent,
} from '@eventstore/db-client';

const CLIENT_NAMES: Record<string, string> = {
  $tb: 'truncateBefore',
  $maxCount: 'maxCount',
  $maxAge: 'maxAge',
  $cacheControl: 'cacheControl',
  $acl: 'acl',
};

/** One stored record, as the client would hand it back. */
export interface StubRecord {
  id: string;
  type: string;
  revision: bigint;
  data: unknown;
  metadata: unknown;
  isJson: boolean;
  position: bigint;
}

interface StubStream {
  records: StubRecord[];
  tombstoned?: boolean;
}

export interface StubCall {
  method: 'appendToStream' | 'readStream' | 'deleteStream' | 'tombstoneStream';
  stream: string;
  expectedRevision?: AppendExpectedRevision;
  events?: readonly EventData[];
  options?: ReadStreamOptions;
}

/**
 * Streams in memory behind the few client methods the adapter's stream operations call, with
 * the server's expected-revision checks and the client's own error classes. For the adapter's
 * logic (what it sends, in what order, with which expected revision), not for the client's.
 */
export class StubClient {
  readonly streams = new Map<string, StubStream>();
  readonly calls: StubCall[] = [];
  /** Records handed out by reads, in all. */
  recordsRead = 0;
  /** As the client's option: false makes appends answer a wrong revision instead of throwing. */
  throwOnAppendFailure = true;
  private position = 0n;
  /** Runs before an append is checked: lets a test slip in a concurrent write. */
  beforeAppend: ((stream: string) => void) | undefined;
  /**
   * Failures for the next calls, in order. `afterWrite`: the append is written, then the
   * answer is lost (a timeout after the server committed).
   */
  readonly faults: { method: StubCall['method']; error: Error; afterWrite?: boolean }[] = [];

  private fault(method: StubCall['method'], afterWrite: boolean): Error | undefined {
    const index = this.faults.findIndex((f) => f.method === method && (f.afterWrite ?? false) === afterWrite);
    return index < 0 ? undefined : this.faults.splice(index, 1)[0].error;
  }

  asClient(): EventStoreDBClient {
    return this as unknown as EventStoreDBClient;
  }

  /** Writes directly, as another writer (or the server itself) would. */
  put(stream: string, records: Partial<StubRecord>[]): void {
    const entry = this.streamOf(stream);
    for (const record of records) {
      this.position += 10n;
      entry.records.push({
        id: record.id ?? `00000000-0000-4000-8000-${String(this.position).padStart(12, '0')}`,
        type: record.type ?? 'ThingCounted',
        revision: BigInt(entry.records.length),
        data: record.data ?? {},
        metadata: record.metadata ?? { schemaVersion: 1 },
        isJson: record.isJson ?? true,
        position: this.position,
      });
    }
  }

  last(stream: string): StubRecord | undefined {
    const records = this.streams.get(stream)?.records ?? [];
    return records[records.length - 1];
  }

  private streamOf(stream: string): StubStream {
    let entry = this.streams.get(stream);
    if (!entry) {
      entry = { records: [] };
      this.streams.set(stream, entry);
    }
    return entry;
  }

  private current(stream: string): bigint | typeof NO_STREAM {
    const last = this.last(stream);
    return last === undefined ? NO_STREAM : last.revision;
  }

  appendToStream(
    stream: string,
    events: EventData | EventData[],
    options: { expectedRevision?: AppendExpectedRevision } = {},
  ): Promise<AppendResult> {
    const batch = Array.isArray(events) ? events : [events];
    const expected = options.expectedRevision ?? ANY;
    this.calls.push({ method: 'appendToStream', stream, expectedRevision: expected, events: batch });
    this.beforeAppend?.(stream);
    const before = this.fault('appendToStream', false);
    if (before) return Promise.reject(before);
    if (this.streams.get(stream)?.tombstoned) return Promise.reject(StreamDeletedError.fromStreamName(stream));
    const current = this.current(stream);
    const ok =
      expected === ANY ||
      (expected === NO_STREAM && current === NO_STREAM) ||
      (expected === STREAM_EXISTS && current !== NO_STREAM) ||
      (typeof expected === 'bigint' && expected === current);
    if (!ok) {
      return Promise.reject(new WrongExpectedVersionError(undefined, { streamName: stream, expected, current }));
    }
    this.put(
      stream,
      batch.map((event) => ({ id: event.id, type: event.type, data: event.data, metadata: event.metadata, isJson: event.contentType === 'application/json' })),
    );
    const last = this.last(stream) as StubRecord;
    const after = this.fault('appendToStream', true);
    if (after) return Promise.reject(after);
    return Promise.resolve({ success: true, nextExpectedRevision: last.revision, position: { commit: last.position, prepare: last.position } });
  }

  /** A soft delete as the server makes it: `$tb` = Int64.MaxValue in the metadata, checked against the expected revision. */
  deleteStream(stream: string, options: { expectedRevision?: AppendExpectedRevision } = {}): Promise<void> {
    const expected = options.expectedRevision ?? ANY;
    this.calls.push({ method: 'deleteStream', stream, expectedRevision: expected });
    const current = this.current(stream);
    if (current === NO_STREAM || (typeof expected === 'bigint' && expected !== current) || expected === NO_STREAM) {
      return Promise.reject(new WrongExpectedVersionError(undefined, { streamName: stream, expected, current }));
    }
    this.put(`$$${stream}`, [{ type: '$metadata', data: { $tb: JSON.parse('9223372036854775807') as number } }]);
    return Promise.resolve();
  }

  /** As 6.2.1 does it: the last `$metadata` event, its `$` keys renamed (only those the adapter uses here). */
  async getStreamMetadata(stream: string): Promise<{ streamName: string; metadata?: StreamMetadata }> {
    const raw = this.last(`$$${stream}`);
    if (raw === undefined || !raw.isJson) return { streamName: stream };
    const metadata: StreamMetadata = {};
    for (const [key, value] of Object.entries(raw.data as Record<string, unknown>)) {
      const renamed = CLIENT_NAMES[key] ?? key;
      metadata[renamed] = value;
    }
    return { streamName: stream, metadata };
  }

  /** As 6.2.1 does it: an append of a `$metadata` event to `$$stream`, its keys renamed back. */
  setStreamMetadata(stream: string, metadata: StreamMetadata, options: { expectedRevision?: AppendExpectedRevision } = {}): Promise<AppendResult> {
    const data: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(metadata)) {
      const renamed = Object.entries(CLIENT_NAMES).find(([, name]) => name === key)?.[0] ?? key;
      data[renamed] = value;
    }
    return this.appendToStream(`$$${stream}`, jsonEvent({ type: '$metadata', data }), options);
  }

  readStream(stream: string, options: ReadStreamOptions = {}): AsyncIterable<ResolvedEvent> {
    this.calls.push({ method: 'readStream', stream, options });
    const entry = this.streams.get(stream);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        const failure = self.fault('readStream', false);
        if (failure) throw failure;
        if (entry?.tombstoned) throw StreamDeletedError.fromStreamName(stream);
        if (!entry || entry.records.length === 0) throw new StreamNotFoundError(undefined, stream);
        const backwards = options.direction === BACKWARDS;
        const from = options.fromRevision === undefined || options.fromRevision === END ? undefined : options.fromRevision;
        let records = backwards ? [...entry.records].reverse() : entry.records;
        if (typeof from === 'bigint') records = records.filter((r) => (backwards ? r.revision <= from : r.revision >= from));
        const max = options.maxCount === undefined ? records.length : Number(options.maxCount);
        for (const record of records.slice(0, max)) {
          self.recordsRead++;
          yield self.resolved(stream, record);
        }
      },
    };
  }

  private resolved(stream: string, record: StubRecord): ResolvedEvent {
    return {
      event: {
        streamId: stream,
        id: record.id,
        revision: record.revision,
        type: record.type,
        data: record.data,
        metadata: record.metadata,
        isJson: record.isJson,
        created: new Date(0),
        position: { commit: record.position, prepare: record.position },
      },
      commitPosition: record.position,
    } as ResolvedEvent;
  }
}
