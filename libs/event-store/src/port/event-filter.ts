import type { EventFilter } from './event-store';
import { InvalidArgumentError } from './errors';
import { unstorableStringReason } from './event-content';

/**
 * Refuses a filter the store could not even compare: lists that are not arrays of strings, or
 * strings with U+0000 or a lone surrogate (PostgreSQL fails on them rather than matching nothing).
 */
export const assertEventFilter = (filter: EventFilter | undefined): void => {
  if (filter === undefined) return;
  if (typeof filter !== 'object' || filter === null) {
    throw new InvalidArgumentError('filter must be an object', [{ path: 'filter', constraints: { isObject: 'must be an object' } }]);
  }
  for (const field of ['categories', 'eventTypes'] as const) {
    const list: unknown = filter[field];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      throw new InvalidArgumentError(`filter.${field} must be an array of strings`, [
        { path: `filter.${field}`, constraints: { isArray: 'must be an array of strings' } },
      ]);
    }
    list.forEach((entry: unknown, index) => {
      const path = `filter.${field}.${index}`;
      const reason = typeof entry === 'string' ? unstorableStringReason(entry) : 'is not a string';
      if (reason) throw new InvalidArgumentError(`${path} ${reason}`, [{ path, constraints: { storableText: reason } }]);
    });
  }
};
