import fc from 'fast-check';
import { DEFAULT_EVENT_CONTENT_LIMITS, findUnstorableJson, InvalidEventContentError, storableEventJson } from './event-content';

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
    ['an own __proto__ key, as JSON.parse makes it', { address: JSON.parse('{"__proto__": {"admin": true}}') as unknown }, 'data.address.__proto__', 'noProtoKey'],
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

describe('storableEventJson', () => {
  it('refuses metadata that is not an object, naming the event', () => {
    const error = (() => {
      try {
        storableEventJson({ type: 'T', data: {}, metadata: 'x' as never }, 2);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidEventContentError);
    expect(error).toMatchObject({ eventIndex: 2, violations: [{ path: 'metadata' }] });
    expect((error as Error).message).toMatch(/^event 2: metadata/);
  });
});

describe('storableEventJson: the text of what it accepts, the violation of what it refuses', () => {
  const limits = { ...DEFAULT_EVENT_CONTENT_LIMITS, maxDepth: 5 };
  /** What the store did before it serialised once: the full walk of data then metadata, then JSON.stringify. */
  const expected = (data: unknown, metadata: Record<string, unknown> | undefined) => {
    const violation = findUnstorableJson(data, 'data', limits.maxDepth) ?? findUnstorableJson(metadata, 'metadata', limits.maxDepth);
    return violation ? { violation } : { json: { data: JSON.stringify(data), metadata: metadata === undefined ? undefined : JSON.stringify(metadata) } };
  };
  const actual = (data: unknown, metadata: Record<string, unknown> | undefined) => {
    try {
      return { json: storableEventJson({ type: 'T', data: data as Record<string, unknown>, metadata }, 0, limits) };
    } catch (error) {
      if (!(error instanceof InvalidEventContentError)) throw error;
      const [violation] = error.violations;
      return { violation: { path: violation.path, rule: Object.keys(violation.constraints)[0], message: Object.values(violation.constraints)[0] } };
    }
  };
  const unstorable = fc.constantFrom('a\u0000', '\ud83d', '\ude00x', 'ok\\u0000', '\\ud800', '😀', NaN, Infinity, () => 1, Symbol('s'), 10n, new Date(0), undefined);
  const values = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 2 }), unstorable, tie('object'), tie('array')),
    object: fc.dictionary(fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('\u0000k', '\ud800', 'toJSON')), tie('value'), { maxKeys: 4 }),
    array: fc.array(tie('value'), { maxLength: 4 }),
  }));

  it('accepts and refuses exactly what the full walk does, giving JSON.stringify\'s text', () => {
    fc.assert(
      fc.property(values.object, fc.option(values.object as fc.Arbitrary<Record<string, unknown>>, { nil: undefined }), (data, metadata) => {
        const before = expected(data, metadata);
        if (before.violation) expect(actual(data, metadata)).toEqual({ violation: { path: before.violation.path, rule: before.violation.rule, message: before.violation.message } });
        else expect(actual(data, metadata)).toEqual(before);
      }),
      { numRuns: 2_000 },
    );
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a key with U+0000 whose value JSON leaves out', { ['k\u0000']: undefined }, 'data.k\ufffd'],
    ['a lone surrogate deep in an array', { a: [{ b: ['\udc00'] }] }, 'data.a.0.b.0'],
    ['a cycle', (() => { const o: Record<string, unknown> = {}; o.self = o; return o; })(), 'data.self'],
  ])('refuses %s, naming the place', (_name, data, path) => {
    expect(actual(data, undefined).violation).toMatchObject({ path });
  });
});
