import { RFM_SEGMENTS, type RfmSegment } from '@clientela/contracts';

/**
 * The RFM segments, from the recency score R and the frequency score F (1 to 5 each; monetary
 * does not choose the segment, it ranks within it). The map, row R, columns F = 1..5:
 *
 * | R \ F | 1 | 2 | 3 | 4 | 5 |
 * |---|---|---|---|---|---|
 * | 5 | New Customers | Potential Loyalist | Potential Loyalist | Champions | Champions |
 * | 4 | Promising | Potential Loyalist | Potential Loyalist | Loyal | Loyal |
 * | 3 | About to Sleep | About to Sleep | Need Attention | Loyal | Loyal |
 * | 2 | Hibernating | Hibernating | At Risk | At Risk | Cannot Lose Them |
 * | 1 | Lost | Hibernating | At Risk | At Risk | Cannot Lose Them |
 *
 * The SQL of the RFM query is generated from this same table (`segmentSql`), so there is one map.
 */
// The eleven names are the contract's: CustomerSegmentChanged carries them.
export { RFM_SEGMENTS, type RfmSegment };
export type Score = 1 | 2 | 3 | 4 | 5;

/** SEGMENT_MAP[R - 1][F - 1]. */
export const SEGMENT_MAP: readonly (readonly RfmSegment[])[] = [
  ['Lost', 'Hibernating', 'At Risk', 'At Risk', 'Cannot Lose Them'],
  ['Hibernating', 'Hibernating', 'At Risk', 'At Risk', 'Cannot Lose Them'],
  ['About to Sleep', 'About to Sleep', 'Need Attention', 'Loyal', 'Loyal'],
  ['Promising', 'Potential Loyalist', 'Potential Loyalist', 'Loyal', 'Loyal'],
  ['New Customers', 'Potential Loyalist', 'Potential Loyalist', 'Champions', 'Champions'],
];

export const isScore = (value: number): value is Score => Number.isInteger(value) && value >= 1 && value <= 5;

export const segmentOf = (recencyScore: Score, frequencyScore: Score): RfmSegment => SEGMENT_MAP[recencyScore - 1][frequencyScore - 1];

/** `min(5, 1 + floor(5 * percent_rank))`: percent_rank in [0, 1], so 1 + floor(5 * 1) = 6 is capped to 5. */
export const scoreOf = (percentRank: number): Score => Math.min(5, 1 + Math.floor(5 * percentRank)) as Score;

/** The map as one SQL expression over integer score columns: an array literal indexed by (R - 1) * 5 + F. */
export const segmentSql = (recencyScore: string, frequencyScore: string): string =>
  `(array[${SEGMENT_MAP.flat()
    .map((s) => `'${s}'`)
    .join(',')}]::text[])[(${recencyScore} - 1) * 5 + ${frequencyScore}]`;
