import fc from 'fast-check';
import { v5 } from 'uuid';
import { nameBasedUuid } from './name-based-id';

describe('nameBasedUuid', () => {
  const DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

  it("gives RFC 9562's version 5 example", () => {
    expect(nameBasedUuid('www.example.com', DNS)).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('equals the uuid package for any name, short or longer than its buffer, in any namespace', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'grapheme', minLength: 1_300, maxLength: 3_000 })), fc.uuid(), (name, namespace) => {
        expect(nameBasedUuid(name, namespace)).toBe(v5(name, namespace));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a namespace that is not a uuid', () => {
    expect(() => nameBasedUuid('x', 'not-a-uuid')).toThrow(TypeError);
  });
});
