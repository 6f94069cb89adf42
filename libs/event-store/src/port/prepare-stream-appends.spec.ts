import { randomUUID } from 'node:crypto';
import { EventValidationError, InvalidStreamIdError, streamId, UnknownEventTypeError, ValidationError } from '@clientela/contracts';
import { testCatalogue } from '../testing/test-events';
import { InvalidArgumentError, InvalidStreamAppendError } from './errors';
import { InvalidEventContentError } from './event-content';
import type { StreamAppend } from './event-store';
import { prepareStreamAppends } from './prepare-append';

const counted = (n: number, id: string = randomUUID()) => ({ id, type: 'ThingCounted', data: { n } });
const good = (): StreamAppend => ({ streamId: streamId('thing'), events: [counted(1)] });

/** The error prepareStreamAppends throws for `appends`. */
const refusal = (appends: unknown): InvalidStreamAppendError | ValidationError => {
  try {
    prepareStreamAppends(testCatalogue(), appends as StreamAppend[]);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('prepareStreamAppends', () => {
  it('prepares each StreamAppend as prepareAppend would: lower-case ids, schema versions, expected revision default any', () => {
    const id = randomUUID().toUpperCase();
    const [first, second] = prepareStreamAppends(testCatalogue(), [
      { streamId: streamId('thing'), events: [counted(1, id)], expectedRevision: 'no_stream' },
      good(),
    ]);
    expect(first.events[0]).toMatchObject({ id: id.toLowerCase(), metadata: { schemaVersion: 1 } });
    expect(first.expectedRevision).toBe('no_stream');
    expect(second.expectedRevision).toBe('any');
  });

  it('refuses an empty call', () => {
    const error = refusal([]);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.violations.map((v) => v.path)).toEqual(['appends']);
  });

  it.each<[string, unknown, string, new (...args: never[]) => Error]>([
    ['not an object', null, 'appends.1', InvalidArgumentError],
    ['a bad stream id', { streamId: 'nope', events: [counted(1)] }, 'appends.1.streamId', InvalidStreamIdError],
    ['a bad expected revision', { ...good(), expectedRevision: 1.5 }, 'appends.1.expectedRevision', InvalidArgumentError],
    ['no events', { ...good(), events: [] }, 'appends.1.events', InvalidArgumentError],
    ['an id that is not a UUID', { ...good(), events: [counted(1), { ...counted(2), id: 'x' }] }, 'appends.1.events.1.id', InvalidArgumentError],
    ['an unknown type', { ...good(), events: [{ type: 'Nope', data: {} }] }, 'appends.1.events.0.type', UnknownEventTypeError],
    ['an invalid payload', { ...good(), events: [counted(1), counted(-1)] }, 'appends.1.events.1.n', EventValidationError],
    ['a string the store cannot hold', { ...good(), events: [{ type: 'ThingCounted', data: { n: 1, note: '\u0000' } }] }, 'appends.1.events.0.data.note', InvalidEventContentError],
  ])('names the StreamAppend and the field of %s, with what append would throw as the cause', (_label, bad, path, cause) => {
    const error = refusal([good(), bad]);
    expect(error).toBeInstanceOf(InvalidStreamAppendError);
    const invalid = error as InvalidStreamAppendError;
    expect(invalid.appendIndex).toBe(1);
    expect(invalid.violations.map((v) => v.path)).toContain(path);
    expect(invalid.cause).toBeInstanceOf(cause);
    expect(invalid.reason).toBe((invalid.cause as ValidationError).code);
    expect(invalid.details()).toMatchObject({ appendIndex: 1, reason: invalid.reason });
    expect(invalid.message).toMatch(/^appends\.1 /);
  });

  it('refuses an event id used twice in the call, in one StreamAppend or across two', () => {
    const shared = counted(1);
    const across = refusal([{ ...good(), events: [shared] }, { ...good(), events: [counted(2), { ...shared, id: shared.id.toUpperCase() }] }]);
    expect(across.violations.map((v) => v.path)).toEqual(['appends.1.events.1.id']);
    expect(across.message).toContain('appends.0');
    const within = refusal([{ ...good(), events: [shared, shared] }]);
    expect(within.violations.map((v) => v.path)).toEqual(['appends.0.events.1.id']);
  });
});
