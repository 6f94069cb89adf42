import { streamId, ValidationError } from '@clientela/contracts';
import { testCatalogue } from '../testing/test-events';
import { DEFAULT_EVENT_CONTENT_LIMITS, DEFAULT_MAX_EVENT_BYTES } from './event-content';
import { prepareAppend } from './prepare-append';

const counted = (note: string) => ({ type: 'ThingCounted', data: { n: 1, note } });

describe('prepareAppend: the size of an event', () => {
  it(`accepts an event up to the maximum (default ${DEFAULT_MAX_EVENT_BYTES} bytes of data and metadata as JSON)`, () => {
    expect(prepareAppend(testCatalogue(), streamId('thing'), [counted('x'.repeat(800_000))]).events).toHaveLength(1);
  });

  it('refuses a larger one with a validation error naming the field', () => {
    const prepare = () => prepareAppend(testCatalogue(), streamId('thing'), [counted('ok'), counted('x'.repeat(DEFAULT_MAX_EVENT_BYTES))]);
    expect(prepare).toThrow(ValidationError);
    expect(prepare).toThrow(/event 1: data and metadata take \d+ bytes as JSON, more than the 921600/);
    try {
      prepare();
    } catch (error) {
      expect((error as ValidationError).violations).toEqual([expect.objectContaining({ path: 'events.1.data' })]);
    }
  });

  it('takes a maximum of its own', () => {
    expect(() => prepareAppend(testCatalogue(), streamId('thing'), [counted('x'.repeat(200))], 'any', { ...DEFAULT_EVENT_CONTENT_LIMITS, maxEventBytes: 100 })).toThrow(ValidationError);
  });
});
