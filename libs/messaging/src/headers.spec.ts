import { streamId, type RecordedEvent } from '@clientela/contracts';
import { decodeHeaders, EventHeaders, eventHeaders } from './headers';
import { envelopeDecoder } from './message';
import { toTopicMessages } from './relay/relay';
import { sampleCatalogue } from './testing/sample-events';
import { PoisonMessageError } from './errors';
import { toEnvelopeJson } from '@clientela/contracts';

const event = (overrides: Partial<RecordedEvent> = {}): RecordedEvent => ({
  id: '0b6c3c8e-6f0e-4f7e-9d55-1d2f3a4b5c6d',
  type: 'OrderPlaced',
  streamId: streamId('order', '9b6c3c8e-6f0e-4f7e-9d55-1d2f3a4b5c6d'),
  revision: 3,
  position: (5n << 64n) | 7n,
  data: { customerId: 'cust-1', orderId: 'o-1', seq: 0, amount: 10 },
  metadata: { schemaVersion: 1, correlationId: 'corr', causationId: 'cause' },
  recordedAt: new Date('2024-01-02T03:04:05.000Z'),
  ...overrides,
});

describe('event headers', () => {
  it('carry id, type, schema version, stream, revision, position, correlation and causation', () => {
    const headers = eventHeaders(event());
    expect(headers).toEqual({
      [EventHeaders.id]: '0b6c3c8e-6f0e-4f7e-9d55-1d2f3a4b5c6d',
      [EventHeaders.type]: 'OrderPlaced',
      [EventHeaders.schemaVersion]: '1',
      [EventHeaders.streamId]: event().streamId,
      [EventHeaders.revision]: '3',
      [EventHeaders.position]: ((5n << 64n) | 7n).toString(),
      [EventHeaders.correlationId]: 'corr',
      [EventHeaders.causationId]: 'cause',
    });
  });

  it('leave out correlation and causation when the event has none', () => {
    const headers = eventHeaders(event({ metadata: { schemaVersion: 2 } }));
    expect(headers[EventHeaders.correlationId]).toBeUndefined();
    expect(headers[EventHeaders.schemaVersion]).toBe('2');
  });

  it('decode from kafkajs buffers, strings and arrays', () => {
    expect(decodeHeaders({ a: Buffer.from('x'), b: 'y', c: [Buffer.from('1'), Buffer.from('2')], d: undefined })).toEqual({ a: 'x', b: 'y', c: '2' });
    expect(decodeHeaders(undefined)).toEqual({});
  });
});

describe('toTopicMessages', () => {
  it('makes one batch per topic, keyed by customer, and leaves out events of no context', () => {
    const other = event({ streamId: streamId('unknownThing'), id: 'x' });
    const batch = toTopicMessages([event(), other, event({ data: { orderId: 'o-2' } })], (e) => (e.streamId.startsWith('order-') ? 'sales' : undefined));
    expect(batch).toHaveLength(1);
    expect(batch[0].topic).toBe('sales');
    expect(batch[0].messages.map((m) => m.key)).toEqual(['cust-1', event().streamId]);
    expect(JSON.parse(String(batch[0].messages[0].value))).toEqual(toEnvelopeJson(event()));
  });
});

describe('envelopeDecoder', () => {
  const decode = envelopeDecoder(sampleCatalogue());
  const message = (value: string, headers: Record<string, string> = {}) => ({
    origin: { kind: 'kafka' as const, topic: 't', partition: 0, offset: '1' },
    headers,
    value,
  });
  const code = (value: string) => {
    try {
      decode(message(value));
      return 'decoded';
    } catch (error) {
      return error instanceof PoisonMessageError ? error.code : 'other';
    }
  };

  it('decodes a relayed envelope, keyed by event id', () => {
    const decoded = decode(message(JSON.stringify(toEnvelopeJson(event()))));
    expect(decoded.key).toBe(event().id);
    expect(decoded.payload.position).toBe(event().position);
    expect(decoded.payload.recordedAt.toISOString()).toBe('2024-01-02T03:04:05.000Z');
  });

  it('refuses what is not JSON, not an envelope, an invalid payload or an unknown schema version', () => {
    expect(code('{oops')).toBe('malformed_message');
    expect(code(JSON.stringify({ id: 'x' }))).toBe('malformed_message');
    expect(code(JSON.stringify(toEnvelopeJson(event({ data: { customerId: 'c', orderId: 'o', seq: -1, amount: 1 } }))))).toBe('invalid_event_payload');
    expect(code(JSON.stringify(toEnvelopeJson(event({ metadata: { schemaVersion: 9 } }))))).toBe('unknown_schema_version');
  });

  it('refuses an envelope whose id header disagrees', () => {
    expect(() => decode(message(JSON.stringify(toEnvelopeJson(event())), { [EventHeaders.id]: 'other' }))).toThrow(/does not match/);
  });

  it('passes events of types the catalogue does not know', () => {
    expect(decode(message(JSON.stringify(toEnvelopeJson(event({ type: 'SomethingElse', data: {} }))))).type).toBe('SomethingElse');
  });
});
