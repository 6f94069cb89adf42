import { streamId } from '@clientela/contracts';
import fc from 'fast-check';
import { testCatalogue } from '../testing/test-events';
import { prepareAppend, preparedJsonOf } from './prepare-append';

const catalogue = testCatalogue();
const thing = streamId('thing');

describe('prepareAppend serialises each event once, for the adapter', () => {
  it('gives the JSON of the data and of the stamped metadata, whatever metadata was given', () => {
    // Storable values only: fast-check's JSON values sometimes hold a key named __proto__, which the
    // store refuses by design (InvalidEventContentError; event-content's own spec covers it).
    const storable = fc.jsonValue({ maxDepth: 2 }).filter((value) => !JSON.stringify(value).includes('"__proto__"'));
    const metadata = fc.option(
      fc.dictionary(fc.oneof(fc.string({ maxLength: 5 }), fc.constantFrom('schemaVersion', '1', 'correlationId')), fc.oneof(storable, fc.constant(undefined)), { maxKeys: 5 }),
      { nil: undefined },
    );
    fc.assert(
      fc.property(fc.nat(), fc.string(), metadata, (n, note, given) => {
        const [event] = prepareAppend(catalogue, thing, [{ type: 'ThingCounted', data: { n, note }, metadata: given }]).events;
        // The text made while checking, not made again: the adapter writes it.
        expect(event.json).toMatchObject({ data: JSON.stringify(event.data), metadata: JSON.stringify(event.metadata) });
        expect(preparedJsonOf(event)).toEqual({ data: event.json?.data, metadata: event.json?.metadata });
        expect(JSON.parse(preparedJsonOf(event).metadata)).toMatchObject({ schemaVersion: 1 });
      }),
      { numRuns: 500 },
    );
  });

  it('serialises again what was replaced since, as sealing replaces data', () => {
    const [event] = prepareAppend(catalogue, thing, [{ type: 'ThingCounted', data: { n: 1, note: 'secret' }, metadata: { correlationId: 'c' } }]).events;
    const sealed = { ...event, data: { n: 1, note: 'sealed' } };
    expect(preparedJsonOf(sealed)).toEqual({ data: '{"n":1,"note":"sealed"}', metadata: '{"correlationId":"c","schemaVersion":1}' });
    const restamped = { ...event, metadata: { ...event.metadata, actor: 'a' } };
    expect(preparedJsonOf(restamped).metadata).toBe('{"correlationId":"c","schemaVersion":1,"actor":"a"}');
  });
});
