import { PassThrough } from 'node:stream';
import { Metadata } from '@grpc/grpc-js';
import { EventStoreDBClient } from '@eventstore/db-client';
import { StreamIdentifier, UUID } from '@eventstore/db-client/generated/shared_pb';
import { SupportedMethods } from '@eventstore/db-client/generated/serverfeatures_pb';
import { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';

/** One event as the server stores it in `$all` (commit == prepare, as since 20.x). */
export interface WireEvent {
  id: string;
  streamId: string;
  type: string;
  revision: number;
  position: bigint;
  data: unknown;
  metadata?: Record<string, unknown>;
}

/** The server's end of one gRPC read call: protobuf messages, flow-controlled like HTTP/2. */
class ServerCall extends PassThrough {
  cancelled = false;
  constructor() {
    super({ objectMode: true, highWaterMark: 16 });
  }
  /** What grpc-js's call offers; the client calls it on unsubscribe. */
  cancel(): void {
    this.cancelled = true;
    if (!this.writableEnded) this.end();
  }
}

const TICKS_PER_MS = 10_000n;

const recordOf = (event: WireEvent): ReadResp.ReadEvent.RecordedEvent => {
  const id = new UUID();
  id.setString(event.id);
  const stream = new StreamIdentifier();
  stream.setStreamName(Buffer.from(event.streamId));
  const record = new ReadResp.ReadEvent.RecordedEvent();
  record.setId(id);
  record.setStreamIdentifier(stream);
  record.setStreamRevision(String(event.revision));
  record.setCommitPosition(event.position.toString());
  record.setPreparePosition(event.position.toString());
  const meta = record.getMetadataMap();
  meta.set('type', event.type);
  meta.set('content-type', 'application/json');
  meta.set('created', (1_700_000_000_000n * TICKS_PER_MS).toString());
  record.setCustomMetadata(Buffer.from(JSON.stringify(event.metadata ?? { schemaVersion: 1 })));
  record.setData(Buffer.from(JSON.stringify(event.data)));
  return record;
};

export const eventMessage = (event: WireEvent): ReadResp => {
  const read = new ReadResp.ReadEvent();
  read.setEvent(recordOf(event));
  read.setCommitPosition(event.position.toString());
  const resp = new ReadResp();
  resp.setEvent(read);
  return resp;
};

export const checkpointMessage = (position: bigint): ReadResp => {
  const checkpoint = new ReadResp.Checkpoint();
  checkpoint.setCommitPosition(position.toString());
  checkpoint.setPreparePosition(position.toString());
  const resp = new ReadResp();
  resp.setCheckpoint(checkpoint);
  return resp;
};

export const caughtUpMessage = (): ReadResp => {
  const resp = new ReadResp();
  resp.setCaughtUp(new ReadResp.CaughtUp());
  return resp;
};

export const confirmationMessage = (): ReadResp => {
  const confirmation = new ReadResp.SubscriptionConfirmation();
  confirmation.setSubscriptionId('fake');
  const resp = new ReadResp();
  resp.setConfirmation(confirmation);
  return resp;
};

/** A gRPC failure as grpc-js hands it to the client: a status code, details and trailers. */
export const grpcError = (code: number, details: string, exception?: string, trailers: Record<string, string> = {}): Error => {
  const metadata = new Metadata();
  if (exception) metadata.set('exception', exception);
  for (const [key, value] of Object.entries(trailers)) metadata.set(key, value);
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata });
};

/** One subscription the client opened: what it asked for, and the server's side of the call. */
export class WireSubscription {
  constructor(
    readonly request: ReadReq,
    readonly call: ServerCall,
  ) {}

  /** Exclusive start the client asked for; undefined for the start of `$all`. */
  get from(): bigint | undefined {
    const all = this.request.getOptions()?.getAll();
    const position = all?.getPosition();
    return position === undefined ? undefined : BigInt(position.getCommitPosition());
  }

  get hasFilter(): boolean {
    return this.request.getOptions()?.hasFilter() ?? false;
  }

  /** Sends one message, waiting while the client's side is full (HTTP/2 flow control). */
  async send(message: ReadResp): Promise<void> {
    if (this.call.writableEnded) return;
    if (this.call.write(message)) return;
    // Both listeners go once either fires: a race of two `once` promises left the loser's behind,
    // eleven of them on a long catch-up (Node's MaxListenersExceededWarning).
    await new Promise<void>((resolve) => {
      const done = () => {
        this.call.off('drain', done).off('close', done);
        resolve();
      };
      this.call.once('drain', done).once('close', done);
    });
  }

  fail(error: Error): void {
    this.call.destroy(error);
  }
}

/**
 * An EventStoreDB server in memory, behind a real `EventStoreDBClient` of 6.2.1: the client
 * builds its real requests and runs its real `Subscription` and `ReadStream` transforms and
 * converters over the protobuf messages this fake answers with. Only the network is missing.
 */
export class FakeEsdbServer {
  readonly client: EventStoreDBClient;
  readonly log: WireEvent[] = [];
  /** What the server's features call reports. */
  serverVersion = '24.10.0';
  readonly subscriptions: WireSubscription[] = [];
  /** How many events each `$all` read sent, in call order. */
  readonly readAllCounts: number[] = [];
  private readonly waiting: ((subscription: WireSubscription) => void)[] = [];
  private readonly pending: WireSubscription[] = [];

  constructor() {
    this.client = EventStoreDBClient.connectionString('esdb://localhost:2113?tls=false');
    // getChannel: the client asks which channel failed before reconnecting; this one never did.
    const streams = {
      read: (request: ReadReq) => this.read(request),
      getChannel: () => ({ fake: true }),
      getSupportedMethods: (_request: unknown, callback: (error: Error | null, methods: SupportedMethods) => void) => {
        const methods = new SupportedMethods();
        methods.setEventStoreServerVersion(this.serverVersion);
        setImmediate(() => callback(null, methods));
      },
    };
    // The one seam: the client asks for its gRPC stub here, and gets this server instead of a channel.
    Object.assign(this.client, { getGRPCClient: () => Promise.resolve(streams) });
  }

  /** Appends events to `$all` at increasing positions (a gap of 10 between them, as records take room). */
  write(count: number, make: (index: number) => Partial<WireEvent> = () => ({})): WireEvent[] {
    const written: WireEvent[] = [];
    for (let i = 0; i < count; i++) {
      const n = this.log.length;
      const event: WireEvent = {
        id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
        streamId: 'thing-1',
        type: 'ThingCounted',
        revision: n,
        position: BigInt((n + 1) * 10),
        data: { n },
        ...make(n),
      };
      this.log.push(event);
      written.push(event);
    }
    return written;
  }

  /** The next subscription the client opens (or the one already open and not yet taken). */
  nextSubscription(): Promise<WireSubscription> {
    const opened = this.pending.shift();
    if (opened) return Promise.resolve(opened);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private read(request: ReadReq): ServerCall {
    const call = new ServerCall();
    const options = request.getOptions();
    if (options?.hasSubscription()) {
      const subscription = new WireSubscription(request, call);
      this.subscriptions.push(subscription);
      const waiter = this.waiting.shift();
      if (waiter) setImmediate(() => waiter(subscription));
      else this.pending.push(subscription);
      return call;
    }
    setImmediate(() => this.answerReadAll(request, call));
    return call;
  }

  private answerReadAll(request: ReadReq, call: ServerCall): void {
    const options = request.getOptions();
    const all = options?.getAll();
    const count = Number(options?.getCount() ?? '0');
    const backwards = options?.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS;
    let events: WireEvent[];
    const at = all?.getPosition();
    if (backwards) {
      const before = at === undefined ? undefined : BigInt(at.getCommitPosition());
      const older = before === undefined ? this.log : this.log.filter((e) => e.position <= before);
      events = older.slice(Math.max(0, older.length - count)).reverse();
    } else {
      const from = at === undefined ? undefined : BigInt(at.getCommitPosition());
      // From a position the server starts with the event at it.
      events = (from === undefined ? this.log : this.log.filter((e) => e.position >= from)).slice(0, count);
    }
    this.readAllCounts.push(events.length);
    for (const event of events) call.write(eventMessage(event));
    call.end();
  }

  /**
   * Streams `$all` after the subscription's start as a catching-up server does: events in
   * order, a checkpoint after every `checkpointEvery` events examined, then "caught up". It
   * waits whenever the client's side is full, so a slow consumer slows it down.
   */
  async catchUp(subscription: WireSubscription, checkpointEvery: number): Promise<void> {
    const from = subscription.from;
    let examined = 0;
    for (const event of this.log) {
      if (from !== undefined && event.position <= from) continue;
      if (subscription.call.writableEnded || subscription.call.destroyed) return;
      await subscription.send(eventMessage(event));
      if (++examined % checkpointEvery === 0) await subscription.send(checkpointMessage(event.position));
    }
    await subscription.send(caughtUpMessage());
  }
}
