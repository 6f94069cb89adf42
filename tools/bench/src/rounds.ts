import type { LineValue } from './registry';
import { round } from './measure';

/** The middle value (the mean of the two middle ones for an even count); 0 when empty. */
export const median = (values: readonly number[]): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : round((sorted[middle - 1] + sorted[middle]) / 2, 3);
};

/** (max - min) / median: 0.1 means the rounds spread over 10% of their median. */
export const spread = (values: readonly number[]): number => {
  const m = median(values);
  return m > 0 ? round((Math.max(...values) - Math.min(...values)) / m, 3) : 0;
};

/**
 * A figure measured in rounds, as fields of a line: `<name>` (the median round), `<name>_rounds`
 * (every round, in order) and `<name>_spread`, so that a figure that swings shows it.
 */
export const roundFields = (name: string, values: readonly number[]): Record<string, LineValue> => ({
  [name]: median(values),
  [`${name}_rounds`]: values.join(','),
  [`${name}_spread`]: spread(values),
});
