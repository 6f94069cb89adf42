import { RFM_SEGMENTS, SEGMENT_MAP, scoreOf, segmentOf, segmentSql, type Score } from './rfm-segments';

const scores: Score[] = [1, 2, 3, 4, 5];

describe('the RFM segment map', () => {
  it.each<[Score, Score, string]>([
    [5, 5, 'Champions'],
    [5, 4, 'Champions'],
    [4, 4, 'Loyal'],
    [3, 5, 'Loyal'],
    [5, 2, 'Potential Loyalist'],
    [4, 3, 'Potential Loyalist'],
    [5, 1, 'New Customers'],
    [4, 1, 'Promising'],
    [3, 3, 'Need Attention'],
    [3, 1, 'About to Sleep'],
    [3, 2, 'About to Sleep'],
    [2, 3, 'At Risk'],
    [1, 4, 'At Risk'],
    [2, 5, 'Cannot Lose Them'],
    [1, 5, 'Cannot Lose Them'],
    [2, 2, 'Hibernating'],
    [1, 2, 'Hibernating'],
    [2, 1, 'Hibernating'],
    [1, 1, 'Lost'],
  ])('R %i, F %i is %s', (r, f, segment) => {
    expect(segmentOf(r, f)).toBe(segment);
  });

  it('names one of the eleven segments for each of the 25 cells, and uses every segment', () => {
    const used = new Set(scores.flatMap((r) => scores.map((f) => segmentOf(r, f))));
    expect([...used].sort()).toEqual([...RFM_SEGMENTS].sort());
    expect(SEGMENT_MAP.flat()).toHaveLength(25);
  });

  it('scores a percent rank as min(5, 1 + floor(5 * rank)), the top rank capped at 5', () => {
    expect([0, 0.1999, 0.2, 0.5, 0.7999, 0.8, 0.9999, 1].map(scoreOf)).toEqual([1, 1, 2, 3, 4, 5, 5, 5]);
  });

  it('writes the same map as an SQL array indexed by (R - 1) * 5 + F', () => {
    const sql = segmentSql('r', 'f');
    const literal = /array\[(.*)\]::text\[\]/.exec(sql)?.[1] ?? '';
    const cells = literal.split(',').map((s) => s.replace(/'/g, ''));
    for (const r of scores) for (const f of scores) expect(cells[(r - 1) * 5 + f - 1]).toBe(segmentOf(r, f));
  });
});
