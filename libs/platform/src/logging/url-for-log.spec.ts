import { urlForLog } from './url-for-log';

describe('a URL as logged', () => {
  it('keeps the path and the query names, not their values', () => {
    expect(urlForLog('/api/v1/contacts?email=wren%40mail.example&limit=5&cursor=abc')).toBe('/api/v1/contacts?email=*&limit=*&cursor=*');
    expect(urlForLog('/api/v1/contacts/42/history')).toBe('/api/v1/contacts/42/history');
  });

  it('hides the external id in the path of an identity', () => {
    expect(urlForLog('/api/v1/contacts/42/identities/shop/C-9?x=1')).toBe('/api/v1/contacts/42/identities/*/*?x=*');
  });
});
