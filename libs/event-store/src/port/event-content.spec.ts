import { findUnstorableJson, InvalidEventContentError, assertStorableEventContent } from './event-content';

describe('findUnstorableJson', () => {
  it('accepts what JSON holds as it is: shared (not circular) objects, dates, undefined, unicode pairs', () => {
    const shared = { a: 1 };
    expect(findUnstorableJson({ x: shared, y: [shared, shared], at: new Date(0), gone: undefined, emoji: '😀' }, 'data', 64)).toBeUndefined();
  });

  it.each<[string, unknown, string, string]>([
    ['NaN', { n: NaN }, 'data.n', 'isJson'],
    ['a function', { f: () => 1 }, 'data.f', 'isJson'],
    ['a symbol in an array', { list: [1, Symbol('s')] }, 'data.list.1', 'isJson'],
    ['a lone high surrogate at the end', { s: 'ok\ud83d' }, 'data.s', 'storableText'],
    ['U+0000 in what toJSON gives', { at: { toJSON: () => 'a\u0000' } }, 'data.at', 'storableText'],
    ['a cycle through an array', (() => { const a: unknown[] = []; a.push({ back: a }); return { a }; })(), 'data.a.0.back', 'notCircular'],
  ])('finds %s', (_label, value, path, rule) => {
    expect(findUnstorableJson(value, 'data', 64)).toMatchObject({ path, rule });
  });

  it('counts depth in objects and arrays: 3 levels pass at 3, fail at 2', () => {
    const value = { a: [{ b: 1 }] };
    expect(findUnstorableJson(value, 'data', 3)).toBeUndefined();
    expect(findUnstorableJson(value, 'data', 2)).toMatchObject({ path: 'data.a.0', rule: 'maxDepth' });
  });
});

describe('assertStorableEventContent', () => {
  it('refuses metadata that is not an object, naming the event', () => {
    const error = (() => {
      try {
        assertStorableEventContent({ type: 'T', data: {}, metadata: 'x' as never }, 2);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidEventContentError);
    expect(error).toMatchObject({ eventIndex: 2, violations: [{ path: 'metadata' }] });
    expect((error as Error).message).toMatch(/^event 2: metadata/);
  });
});
