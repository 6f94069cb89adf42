import { areaOf, serviceFor, servicesOf } from './routes';

describe('route table', () => {
  it.each([
    ['/api/v1/contacts', 'contacts'],
    ['/api/v1/contacts/', 'contacts'],
    ['/api/v1/contacts/42/history?limit=5', 'contacts'],
    ['/api/v1/custom-fields?x=/api/v1/leads', 'custom-fields'],
    ['/api/v1/leads?limit=1', 'leads'],
  ])('finds the area of %s', (url, area) => expect(areaOf(url)).toBe(area));

  it.each(['/', '/api', '/api/v1', '/api/v1/', '/api/v2/contacts', '/health/ready', '/api/v1contacts', '/x?/api/v1/contacts'])(
    'finds no area in %s',
    (url) => expect(areaOf(url)).toBeNull(),
  );

  it('routes the contacts areas to the contacts service', () => {
    for (const area of ['contacts', 'accounts', 'leads', 'custom-fields', 'events']) expect(serviceFor(`/api/v1/${area}/x`)).toBe('contacts');
  });

  it('routes the sales areas to the sales service', () => {
    for (const area of ['pipelines', 'deals', 'orders', 'customer-revenue', 'sales-teams', 'sales-reps', 'sales-quotas', 'sales-reports']) expect(serviceFor(`/api/v1/${area}/x`)).toBe('sales');
  });

  it('routes the analytics areas to the analytics service', () => {
    for (const area of ['analytics', 'customers']) expect(serviceFor(`/api/v1/${area}/x`)).toBe('analytics');
  });

  it('routes no unknown area, nor an area that is only a prototype key', () => {
    expect(serviceFor('/api/v1/campaigns')).toBeNull();
    expect(serviceFor('/api/v1/constructor')).toBeNull();
    expect(serviceFor('/api/v1/__proto__/x')).toBeNull();
  });

  it('lists each service once', () => {
    expect(servicesOf({ a: 'one', b: 'one', c: 'two' })).toEqual(['one', 'two']);
  });
});
