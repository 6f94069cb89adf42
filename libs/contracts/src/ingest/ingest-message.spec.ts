import { personalFieldsOf } from '../personal-data';
import { IngestCallLogged, IngestSocialMentioned } from './ingest-payloads';
import { IngestCustomer, ingestKey, InvalidIngestMessageError, parseIngestMessage } from './ingest-message';

const order = {
  id: 'ord-1001',
  type: 'OrderPlaced',
  occurredAt: '2024-05-01T10:00:00Z',
  source: 'shop',
  customer: { email: 'ada@example.com' },
  data: { orderId: '1001', lines: [{ sku: 'A-1', quantity: 2, unitPrice: 9.5 }], amount: 19, currency: 'EUR' },
};

const violationsOf = (message: unknown): string[] => {
  try {
    parseIngestMessage(message);
    return [];
  } catch (error) {
    if (!(error instanceof InvalidIngestMessageError)) throw error;
    return error.violations.map((v) => v.path);
  }
};

describe('ingest contract', () => {
  it('accepts each type of the contract', () => {
    const samples: Array<[string, Record<string, unknown>]> = [
      ['OrderPlaced', order.data],
      ['OrderRefunded', { orderId: '1001', amount: 5, currency: 'USD', reason: 'broken' }],
      ['EmailOpened', { messageId: 'm-1', campaignId: 'c-1' }],
      ['EmailClicked', { messageId: 'm-1', url: 'https://example.com/x' }],
      ['WebPageViewed', { url: 'https://example.com/', referrer: 'https://search.example/' }],
      ['CallLogged', { callId: 'call-1', direction: 'inbound', durationSeconds: 300, notes: 'asked about delivery' }],
      ['SocialMentioned', { text: 'love it', network: 'mastodon', url: 'https://social.example/@x/1' }],
      ['ConsentChanged', { channel: 'email', purpose: 'marketing', granted: false }],
    ];
    for (const [type, data] of samples) expect(parseIngestMessage({ ...order, type, data }).type).toBe(type);
  });

  it('lists every violation with its path', () => {
    expect(violationsOf({ ...order, data: { ...order.data, currency: 'EURO', lines: [{ sku: 'A', quantity: 0, unitPrice: 1 }] } })).toEqual([
      'data.lines.0.quantity',
      'data.currency',
    ]);
    expect(violationsOf({ ...order, occurredAt: 'yesterday', source: '' })).toEqual(['occurredAt', 'source']);
    expect(violationsOf({ ...order, data: { ...order.data, extra: 1 } })).toEqual(['data.extra']);
  });

  it('refuses text PostgreSQL cannot store and deep nesting anywhere in a message, naming the place', () => {
    expect(violationsOf({ ...order, customer: { externalId: 'c-2\u00000' } })).toEqual(['customer.externalId']);
    expect(violationsOf({ ...order, data: { ...order.data, lines: [{ sku: 'A-\ud8001', quantity: 1, unitPrice: 1 }] } })).toEqual(['data.lines.0.sku']);
    expect(violationsOf({ ...order, id: 'o-\udc00' })).toEqual(['id']);
    expect(violationsOf({ ...order, ['ke\u0000y']: 1 })).toEqual(['ke\ufffdy']);
    let deep: unknown = 1;
    for (let i = 0; i < 5_000; i++) deep = [deep];
    expect(violationsOf({ ...order, data: { ...order.data, notes: deep } })[0]).toMatch(/^data\.notes(\.0)+$/);
    // A paired surrogate (an emoji) is text like any other.
    expect(violationsOf({ ...order, customer: { externalId: 'c-😀' } })).toEqual([]);
  });

  it('refuses an own __proto__ key anywhere in a message, as a Kafka message parsed with JSON.parse has it', () => {
    const text = JSON.stringify({ ...order, customer: { email: 'ada@example.com', traits: { x: 1 } } }).replace('"x":1', '"__proto__":{"isAdmin":true}');
    expect(violationsOf(JSON.parse(text))).toEqual(['customer.traits.__proto__']);
    expect(violationsOf(JSON.parse(JSON.stringify(order).replace('"orderId"', '"__proto__":[],"orderId"')))).toEqual(['data.__proto__']);
  });

  it('refuses a consent of an unknown channel or without its decision', () => {
    expect(violationsOf({ ...order, type: 'ConsentChanged', data: { channel: 'pigeon', purpose: 'marketing' } })).toEqual(['data.channel', 'data.granted']);
  });

  it('refuses an unknown type, a customer without an identifier, and what is not an object', () => {
    expect(violationsOf({ ...order, type: 'OrderTeleported' })).toEqual(['type']);
    // A type that is no string, even one whose toString cannot be called, is a violation, not a TypeError.
    expect(violationsOf({ ...order, type: { toString: [] } })).toEqual(['type']);
    expect(violationsOf({ ...order, customer: {} })).toEqual(['customer']);
    expect(violationsOf([order])).toEqual(['']);
    expect(() => parseIngestMessage({ ...order, customer: {} })).toThrow(/customer needs at least one of externalId, email, phone/);
  });

  it('marks customer identifiers and free text as personal data', () => {
    expect([...personalFieldsOf(IngestCustomer)].sort()).toEqual(['email', 'externalId', 'phone']);
    expect(personalFieldsOf(IngestSocialMentioned)).toEqual(['text']);
    expect(personalFieldsOf(IngestCallLogged)).toEqual(['notes']);
  });

  it('dedupes by source and id', () => {
    expect(ingestKey(order)).toBe('shop:ord-1001');
    expect(ingestKey({ ...order, source: 'mailer' })).not.toBe(ingestKey(order));
  });
});
