import { createHash } from 'node:crypto';
import type { IncomingMessage } from '../message';
import { REDACTED, redactIngestMessage } from './ingest-consumer';

const letterOf = (value: string, key?: string): IncomingMessage => ({ origin: { kind: 'kafka', topic: 'clientela.ingest.v1', partition: 0, offset: '7' }, headers: { h: '1' }, value, ...(key ? { key } : {}) });

describe('an ingest message kept as a dead letter', () => {
  it('keeps ids, type, source and non-personal data, and replaces identifiers and personal fields', () => {
    const message = {
      id: 'r-1', type: 'OrderRefunded', occurredAt: '2026-12-01T10:00:00Z', source: 'shop',
      customer: { email: 'wren@mail.example', phone: '+33612345678', externalId: 'C-9' },
      data: { orderId: 'o-1', amount: '3.00', currency: 'EUR', reason: 'my name is Wren' },
    };
    const redacted = redactIngestMessage(letterOf(JSON.stringify(message), 'shop:wren@mail.example'));
    expect(JSON.parse(redacted.value)).toEqual({
      ...message,
      customer: { email: REDACTED, phone: REDACTED, externalId: REDACTED },
      data: { orderId: 'o-1', amount: '3.00', currency: 'EUR', reason: REDACTED },
    });
    expect(redacted.key).toBe(createHash('sha256').update('shop:wren@mail.example').digest('hex'));
    expect(redacted.headers).toEqual({ h: '1' });
  });

  it('keeps nothing of data of an unknown type, nor of a value that is not a JSON object', () => {
    expect(JSON.parse(redactIngestMessage(letterOf(JSON.stringify({ id: 'x', type: 'Nope', data: { note: 'Wren' } }))).value)).toEqual({ id: 'x', type: 'Nope', data: REDACTED });
    expect(JSON.parse(redactIngestMessage(letterOf('wren@mail.example is not JSON')).value)).toBe(REDACTED);
    expect(JSON.parse(redactIngestMessage(letterOf('["wren@mail.example"]')).value)).toBe(REDACTED);
  });
});
