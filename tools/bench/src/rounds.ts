import type { LineValue } from './registry';
import { median, spread } from './measure';

/**
 * A figure measured in rounds, as fields of a line: `<name>` (the median round), `<name>_rounds`
 * (every round, in order) and `<name>_spread`, so that a figure that swings shows it.
 */
export const roundFields = (name: string, values: readonly number[]): Record<string, LineValue> => ({
  [name]: median(values),
  [`${name}_rounds`]: values.join(','),
  [`${name}_spread`]: spread(values),
});

/**
 * Rounds of a phase unless `--rounds` says otherwise. Five, not three: on 2 cores rounds of a few seconds
 * can run a third apart within one run, and two such rounds moved a median of three by up to 30 % between
 * runs minutes apart; a median of five takes three (tools/bench/README.md, sessions 32 and 33).
 */
export const defaultRounds = (quick: boolean | undefined): number => (quick ? 1 : 5);

/** Two contenders of one round, in an order that turns each round, so that drift on the machine falls on both alike. */
export const inTurns = async (round: number, first: () => Promise<void>, second: () => Promise<void>): Promise<void> => {
  if (round % 2 === 0) {
    await first();
    await second();
  } else {
    await second();
    await first();
  }
};
