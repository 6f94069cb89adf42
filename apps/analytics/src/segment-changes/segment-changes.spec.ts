import { planSegmentChanges, segmentStream, type SegmentState } from './segment-changes';

const scores = { recencyScore: 5, frequencyScore: 4, monetaryScore: 3 };
const a = '0a0a0a0a-0000-4000-8000-000000000001';
const b = '0a0a0a0a-0000-4000-8000-000000000002';
const c = '0a0a0a0a-0000-4000-8000-000000000003';

describe('planning the segment changes of a day', () => {
  const states: SegmentState[] = [
    { customerId: a, segment: 'Champions', ...scores, published: 'Loyal', revision: 2 },
    { customerId: b, segment: 'New Customers', ...scores },
    { customerId: c, segment: 'Lost', ...scores, published: 'Lost', revision: 0 },
  ];

  it('announces a move from the segment last published, after its stream\'s last event', () => {
    const [change] = planSegmentChanges(states, '1998-01-31', 'USD');
    expect(change).toEqual({
      streamId: segmentStream(a),
      expectedRevision: 2,
      event: { id: expect.any(String), type: 'CustomerSegmentChanged', data: { customerId: a, from: 'Loyal', to: 'Champions', asOf: '1998-01-31', currency: 'USD', ...scores } },
    });
  });

  it('announces a first segment without `from`, on a new stream', () => {
    const change = planSegmentChanges(states, '1998-01-31', 'USD')[1];
    expect(change.expectedRevision).toBe('no_stream');
    expect(change.event.data).not.toHaveProperty('from');
    expect(change.event.data.to).toBe('New Customers');
  });

  it('says nothing of a customer who stayed', () => {
    expect(planSegmentChanges(states, '1998-01-31', 'USD').map((c) => c.event.data.customerId)).toEqual([a, b]);
  });

  it('names the same change with the same id when the day is computed again, another day or currency with another', () => {
    const id = (asOf: string, currency = 'USD') => planSegmentChanges([states[0]], asOf, currency)[0].event.id;
    expect(id('1998-01-31')).toBe(id('1998-01-31'));
    expect(id('1998-02-01')).not.toBe(id('1998-01-31'));
    expect(id('1998-01-31', 'EUR')).not.toBe(id('1998-01-31'));
  });
});
