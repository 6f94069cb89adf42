import { assertStreamId, categoryOf, entityIdOf, InvalidStreamIdError, isValidStreamId, streamId } from './stream-id';
import { parsePosition } from './position';
import { ValidationError } from './errors';

describe('stream ids', () => {
  const uuid = '0b7e8f8e-4a5b-4c6d-8e9f-0a1b2c3d4e5f';

  it('builds <category>-<uuid> and reads the category back', () => {
    const id = streamId('contact', uuid);
    expect(id).toBe(`contact-${uuid}`);
    expect(categoryOf(id)).toBe('contact');
    expect(entityIdOf(id)).toBe(uuid);
  });

  it('makes a fresh uuid when none is given', () => {
    expect(streamId('deal')).not.toBe(streamId('deal'));
    expect(isValidStreamId(streamId('deal'))).toBe(true);
  });

  it.each([
    ['', 'must be <category>-<uuid>'],
    ['contact', 'must be <category>-<uuid>'],
    [`-${uuid}`, 'must be <category>-<uuid>'],
    [`Contact-${uuid}`, 'category'],
    ['contact-123', 'is not a UUID'],
    [42, 'must be a string'],
  ])('refuses %p with a reason', (value, reason) => {
    expect(() => assertStreamId(value)).toThrow(InvalidStreamIdError);
    expect(() => assertStreamId(value)).toThrow(reason);
  });
});

describe('positions', () => {
  it('parses decimal strings, safe numbers and bigints', () => {
    expect(parsePosition('18446744073709551617')).toBe(18446744073709551617n);
    expect(parsePosition(5)).toBe(5n);
    expect(parsePosition(7n)).toBe(7n);
  });
  it.each(['-1', 'abc', '1.5', 1.5, -3, null])('refuses %p', (value) => {
    expect(() => parsePosition(value)).toThrow(ValidationError);
  });
});
