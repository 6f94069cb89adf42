import { BACKWARDS, END, FORWARDS, START } from '@eventstore/db-client';
import { InvalidArgumentError } from '../port/errors';
import { toEsdbReadStreamOptions } from './eventstoredb-event-store';

describe('EventStoreDB stream read options', () => {
  it('reads forwards from the start, everything, by default', () => {
    expect(toEsdbReadStreamOptions({})).toEqual({ direction: FORWARDS, fromRevision: START, maxCount: Number.MAX_SAFE_INTEGER });
  });

  it('reads backwards from the end by default', () => {
    expect(toEsdbReadStreamOptions({ direction: 'backwards', maxCount: 2 })).toEqual({
      direction: BACKWARDS,
      fromRevision: END,
      maxCount: 2,
    });
  });

  it('reads from a revision (inclusive) as a bigint', () => {
    expect(toEsdbReadStreamOptions({ from: 2 })).toMatchObject({ fromRevision: 2n });
    expect(toEsdbReadStreamOptions({ from: 'end', direction: 'backwards' })).toMatchObject({ fromRevision: END });
  });

  it.each([[{ from: -1 }], [{ from: 1.5 }], [{ from: 'middle' }], [{ direction: 'sideways' }], [{ maxCount: 0 }]])(
    'refuses %p',
    (options) => {
      expect(() => toEsdbReadStreamOptions(options as never)).toThrow(InvalidArgumentError);
    },
  );
});
