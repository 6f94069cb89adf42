import { EVENT_TYPE, STREAM_NAME } from '@eventstore/db-client';
import { InvalidArgumentError } from '../port/errors';
import {
  CHECKPOINT_INTERVAL,
  categoryRegex,
  escapeRegex,
  eventTypeRegex,
  isSystemEvent,
  matchesFilter,
  normalizeFilter,
  serverFilter,
} from './filters';

const uuid = '0b7e8f8e-4a5b-4c6d-8e9f-0a1b2c3d4e5f';

describe('EventStoreDB filters', () => {
  describe('category regex (stream name filter on the server)', () => {
    const regex = new RegExp(categoryRegex(['thing1']));

    it('matches the streams of the category', () => {
      expect(regex.test(`thing1-${uuid}`)).toBe(true);
    });

    it.each([
      `thing12-${uuid}`,
      `thing-${uuid}`,
      `xthing1-${uuid}`,
      `$$thing1-${uuid}`,
      `$ce-thing1`,
      'thing1',
    ])('does not match %s', (stream) => {
      expect(regex.test(stream)).toBe(false);
    });

    it('ORs several categories, each exact', () => {
      const either = new RegExp(categoryRegex(['contact', 'deal']));
      expect(either.test(`contact-${uuid}`)).toBe(true);
      expect(either.test(`deal-${uuid}`)).toBe(true);
      expect(either.test(`dealer-${uuid}`)).toBe(false);
      expect(either.test(`contacts-${uuid}`)).toBe(false);
      expect(categoryRegex(['contact', 'deal'])).toBe('^(?:contact|deal)-');
    });
  });

  describe('event type regex', () => {
    it('matches exactly the named types', () => {
      const regex = new RegExp(eventTypeRegex(['DealWon', 'DealLost']));
      expect(regex.test('DealWon')).toBe(true);
      expect(regex.test('DealLost')).toBe(true);
      expect(regex.test('DealWonAgain')).toBe(false);
      expect(regex.test('BigDealWon')).toBe(false);
      expect(regex.test('$metadata')).toBe(false);
    });

    it('escapes regex metacharacters', () => {
      expect(escapeRegex('a.b*c$')).toBe('a\\.b\\*c\\$');
      expect(new RegExp(eventTypeRegex(['a.b'])).test('axb')).toBe(false);
    });
  });

  describe('server filter', () => {
    it('filters on stream names when categories are given (types are then checked by the adapter)', () => {
      const filter = serverFilter(normalizeFilter({ categories: ['deal'], eventTypes: ['DealWon'] }));
      expect(filter.filterOn).toBe(STREAM_NAME);
      expect('regex' in filter && filter.regex).toBe('^(?:deal)-');
    });

    it('filters on event types when only types are given', () => {
      const filter = serverFilter(normalizeFilter({ eventTypes: ['DealWon'] }));
      expect(filter.filterOn).toBe(EVENT_TYPE);
      expect('regex' in filter && filter.regex).toBe('^(?:DealWon)$');
    });

    it('matches nothing for an empty list, like an OR of nothing', () => {
      const filter = serverFilter(normalizeFilter({ categories: [] }));
      expect(filter.filterOn).toBe(STREAM_NAME);
      const regex = new RegExp('regex' in filter ? filter.regex : '');
      expect(regex.test(`deal-${uuid}`)).toBe(false);
      expect(regex.test('')).toBe(false);
      expect(matchesFilter(normalizeFilter({ categories: [] }), `deal-${uuid}`, 'DealWon')).toBe(false);
      expect(matchesFilter(normalizeFilter({ eventTypes: [] }), `deal-${uuid}`, 'DealWon')).toBe(false);
      expect(new RegExp(eventTypeRegex([])).test('DealWon')).toBe(false);
    });

    it('excludes system events when there is no filter', () => {
      for (const none of [undefined, {}]) {
        const filter = serverFilter(normalizeFilter(none));
        expect(filter.filterOn).toBe(EVENT_TYPE);
        const regex = new RegExp('regex' in filter ? filter.regex : '');
        expect(regex.test('$metadata')).toBe(false);
        expect(regex.test('DealWon')).toBe(true);
      }
    });

    it('asks for checkpoints at a valid interval', () => {
      for (const filter of [{ categories: ['deal'] }, { eventTypes: ['DealWon'] }, {}]) {
        expect(serverFilter(normalizeFilter(filter)).checkpointInterval).toBe(CHECKPOINT_INTERVAL);
      }
    });
  });

  describe('adapter-side match', () => {
    const filter = normalizeFilter({ categories: ['thing1'], eventTypes: ['ThingCounted'] });

    it('ANDs categories with types', () => {
      expect(matchesFilter(filter, `thing1-${uuid}`, 'ThingCounted')).toBe(true);
      expect(matchesFilter(filter, `thing1-${uuid}`, 'ThingNamed')).toBe(false);
      expect(matchesFilter(filter, `thing12-${uuid}`, 'ThingCounted')).toBe(false);
    });

    it('never matches system streams or system events', () => {
      const all = normalizeFilter(undefined);
      expect(matchesFilter(all, `thing1-${uuid}`, 'ThingCounted')).toBe(true);
      expect(matchesFilter(all, `$$thing1-${uuid}`, '$metadata')).toBe(false);
      expect(matchesFilter(all, `thing1-${uuid}`, '$streamDeleted')).toBe(false);
      expect(matchesFilter(all, '$stats-127.0.0.1:2113', 'SomethingCollected')).toBe(false);
      expect(isSystemEvent('$ce-thing1', '$>')).toBe(true);
    });
  });

  describe('validation', () => {
    it.each([
      [{ categories: 'deal' }],
      [{ categories: ['Deal'] }],
      [{ categories: ['deal-x'] }],
      [{ categories: [''] }],
      [{ eventTypes: [42] }],
      [{ eventTypes: ['$metadata'] }],
      [{ eventTypes: ['Deal Won'] }],
      ['deal'],
    ])('refuses %p', (filter) => {
      expect(() => normalizeFilter(filter as never)).toThrow(InvalidArgumentError);
    });

    it('drops duplicates', () => {
      expect(normalizeFilter({ categories: ['deal', 'deal'] }).categories).toEqual(['deal']);
      expect(normalizeFilter({ eventTypes: ['DealWon'] })).toEqual({ eventTypes: ['DealWon'] });
    });
  });
});
