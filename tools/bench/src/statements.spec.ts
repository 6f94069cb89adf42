import { formatStatements } from './statements';

describe('formatStatements', () => {
  it('right-aligns the figures under their headers and cuts long statements', () => {
    const text = formatStatements(
      [
        { calls: 6300, execMs: 12982.4, rows: 6300, walBytes: 152_903_418, query: 'select * from event_store.append_events($1, $2, $3, $4::jsonb, $5)' },
        { calls: 0, execMs: 0.2, rows: 0, walBytes: 0, query: 'x'.repeat(50) },
      ],
      20,
    );
    const [header, first, second] = text.split('\n');
    expect(header).toBe('calls  exec ms  ms/call  rows  WAL MB  statement');
    expect(first).toBe(' 6300    12982     2.06  6300   152.9  select * from event…');
    expect(second).toBe('    0        0        -     0     0.0  xxxxxxxxxxxxxxxxxxx…');
  });
});
