import { needsCredentials } from './gateway-hooks';

describe('which requests need a key', () => {
  it.each([
    ['/api/v1', undefined],
    ['/api/v1/contacts?x=1', undefined],
    ['/api/v1/nothing-here', undefined],
    ['/API/V1/contacts', undefined],
    ['/%61pi/v1/admin/api-keys', undefined],
    ['/weird', '/api/v1/admin/api-keys'],
  ])('%s (route %s) does', (url, route) => expect(needsCredentials(url, route)).toBe(true));

  it.each([
    ['/health/ready', '/health/ready'],
    ['/api/docs-json', '/api/docs-json'],
    ['/api/v10', undefined],
    ['/x?next=/api/v1/contacts', undefined],
    ['/%E0%A4%A', undefined],
  ])('%s (route %s) does not', (url, route) => expect(needsCredentials(url, route)).toBe(false));
});
