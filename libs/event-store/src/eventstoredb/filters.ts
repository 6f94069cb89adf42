import { eventTypeFilter, excludeSystemEvents, streamNameFilter, type Filter } from '@eventstore/db-client';
import { categoryOf, isValidCategory } from '@clientela/contracts';
import type { EventFilter } from '../port/event-store';
import { InvalidArgumentError } from '../port/errors';

/**
 * A filter the adapter has checked. An absent list does not restrict; an empty list matches
 * nothing (an OR of nothing), as in the PostgreSQL adapter.
 */
export interface NormalizedFilter {
  readonly categories?: readonly string[];
  readonly eventTypes?: readonly string[];
}

const EVENT_TYPE = /^[^$\s][^\s]*$/;

export const normalizeFilter = (filter: EventFilter | undefined): NormalizedFilter => {
  if (filter === undefined || filter === null) return {};
  if (typeof filter !== 'object' || Array.isArray(filter)) {
    throw new InvalidArgumentError('filter must be an object with categories and/or eventTypes', [
      { path: 'filter', constraints: { isObject: 'must be an object' } },
    ]);
  }
  const list = (value: unknown, path: string, valid: (item: string) => boolean, rule: string): string[] | undefined => {
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) {
      throw new InvalidArgumentError(`filter.${path} must be an array of strings`, [
        { path: `filter.${path}`, constraints: { isArray: 'must be an array of strings' } },
      ]);
    }
    const items = value.map((item: unknown, index) => {
      if (typeof item !== 'string' || !valid(item)) {
        throw new InvalidArgumentError(`filter.${path}.${index}: ${JSON.stringify(item)} ${rule}`, [
          { path: `filter.${path}.${index}`, constraints: { [path]: rule } },
        ]);
      }
      return item;
    });
    return [...new Set(items)];
  };
  const categories = list(filter.categories, 'categories', isValidCategory, 'is not a stream category');
  const eventTypes = list(filter.eventTypes, 'eventTypes', (t) => EVENT_TYPE.test(t), 'is not an event type');
  return { ...(categories ? { categories } : {}), ...(eventTypes ? { eventTypes } : {}) };
};

/** Escapes a literal for a regular expression; .NET (the server) and JavaScript share these metacharacters. */
export const escapeRegex = (literal: string): string => literal.replace(/[.*+?^${}()|[\]\\#\s]/g, (c) => `\\${c}`);

/**
 * The server sends a checkpoint every `interval x search window` events it considered while
 * catching up (the window is 32 by default, so about every 1 000 events), and one when it goes
 * live. Checkpoints let a selective subscription's pages move past events it does not want.
 */
export const CHECKPOINT_INTERVAL = 32;

/** A regular expression that matches nothing (an empty negative lookahead), in .NET as in JavaScript. */
export const MATCH_NOTHING = '(?!)';

/**
 * `^(?:contact|deal)-`: the stream names of these categories and no others. The category is
 * the part before the first `-`, so the dash is part of the match: `thing1` never matches
 * `thing12-...`, and system streams (`$...`, `$$...`) never match a category.
 */
export const categoryRegex = (categories: readonly string[]): string =>
  categories.length === 0 ? MATCH_NOTHING : `^(?:${categories.map(escapeRegex).join('|')})-`;

/** `^(?:DealWon|DealLost)$`: exactly these event types. */
export const eventTypeRegex = (eventTypes: readonly string[]): string =>
  eventTypes.length === 0 ? MATCH_NOTHING : `^(?:${eventTypes.map(escapeRegex).join('|')})$`;

/**
 * The server-side filter of a subscription. The server takes ONE expression, on stream names or
 * on event types, not both: with categories it filters on stream names (the usual and more
 * selective case) and the adapter checks the types itself; with types only it filters on types;
 * with neither it excludes system events. `matchesFilter` is applied to every event in any case.
 */
export const serverFilter = (filter: NormalizedFilter): Filter => {
  const checkpointInterval = CHECKPOINT_INTERVAL;
  if (filter.categories !== undefined) return streamNameFilter({ regex: categoryRegex(filter.categories), checkpointInterval });
  if (filter.eventTypes !== undefined) return eventTypeFilter({ regex: eventTypeRegex(filter.eventTypes), checkpointInterval });
  return excludeSystemEvents({ checkpointInterval });
};

/** System streams (`$...`, metadata streams `$$...`) and system events (`$metadata`, `$>`, `$streamDeleted`...). */
export const isSystemEvent = (streamId: string, type: string): boolean => streamId.startsWith('$') || type.startsWith('$');

/** An empty list of categories or of types: no event can match. */
export const matchesNothing = (filter: NormalizedFilter): boolean =>
  filter.categories?.length === 0 || filter.eventTypes?.length === 0;

/** Whether an event belongs in a read of all events with this filter (system events never do). */
export const matchesFilter = (filter: NormalizedFilter, streamId: string, type: string): boolean => {
  if (isSystemEvent(streamId, type)) return false;
  if (filter.categories !== undefined) {
    if (streamId.indexOf('-') <= 0 || !filter.categories.includes(categoryOf(streamId))) return false;
  }
  if (filter.eventTypes !== undefined && !filter.eventTypes.includes(type)) return false;
  return true;
};
