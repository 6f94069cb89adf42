import { contextOfStream, contextTopic, deadLetterTopic, messageKeyOf } from './topics';
import { streamId } from './stream-id';

describe('topics', () => {
  it('names context topics and their dead-letter topics', () => {
    expect(contextTopic('contact-center')).toBe('clientela.contact-center.events');
    expect(deadLetterTopic(contextTopic('sales'))).toBe('clientela.sales.events.dlq');
  });

  it('finds the context of a stream from its category', () => {
    expect(contextOfStream(streamId('deal'))).toBe('sales');
    expect(contextOfStream(streamId('order'))).toBe('sales');
    expect(contextOfStream(streamId('pipeline'))).toBe('sales');
    expect(contextOfStream(streamId('contact'))).toBe('contacts');
    expect(contextOfStream(streamId('case'))).toBe('contact-center');
    expect(contextOfStream(streamId('campaign'))).toBe('campaigns');
    expect(contextOfStream(streamId('unknownThing'))).toBeUndefined();
    expect(contextOfStream(streamId('toString'))).toBeUndefined();
    expect(contextOfStream(streamId('deal'), { deal: 'campaigns' })).toBe('campaigns');
  });

  it('keys an event by its customer, else by its stream', () => {
    const stream = streamId('order');
    expect(messageKeyOf({ streamId: stream, data: { customerId: 'c-1' } })).toBe('c-1');
    expect(messageKeyOf({ streamId: stream, data: { customerId: '' } })).toBe(stream);
    expect(messageKeyOf({ streamId: stream, data: { customerId: 42 } })).toBe(stream);
    expect(messageKeyOf({ streamId: stream, data: {} })).toBe(stream);
  });
});
