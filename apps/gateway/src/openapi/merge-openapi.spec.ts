import type { OpenAPIObject } from '@nestjs/swagger';
import { mergeOpenApi } from './merge-openapi';

const doc = (paths: Record<string, unknown>, schemas: Record<string, unknown> = {}, extra: Partial<OpenAPIObject> = {}): OpenAPIObject =>
  ({ openapi: '3.0.0', info: { title: 't', version: '1' }, paths, components: { schemas }, ...extra }) as OpenAPIObject;

const routes = { contacts: 'contacts', accounts: 'contacts', deals: 'sales' };
const problem = { type: 'object', properties: { status: { type: 'number' } } };

const gateway = doc(
  {
    '/api/v1/admin/api-keys': { get: { responses: { 200: { description: 'ok' } } } },
    '/health/ready': { get: { responses: { 200: { description: 'ok' } } } },
  },
  { Problem: problem },
  { tags: [{ name: 'admin' }] },
);
const contacts = doc(
  {
    '/api/v1/contacts': {
      post: {
        security: [{ bearer: [] }],
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Contact' } } } },
        responses: { 400: { description: 'bad', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } } },
      },
    },
    '/api/v1/accounts/{id}': { get: { responses: { 200: { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Page' } } } } } } },
    '/health/ready': { get: { responses: { 200: { description: 'ok' } } } },
    '/api/v1/deals': { get: { responses: { 200: { description: 'not ours' } } } },
  },
  { Contact: { type: 'object', properties: { owner: { $ref: '#/components/schemas/Page' } } }, Problem: problem, Page: { type: 'object', properties: { items: { type: 'array' } } } },
  { tags: [{ name: 'contacts' }, { name: 'admin' }] },
);
const sales = doc(
  { '/api/v1/deals': { get: { responses: { 200: { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Page' } } } } } } } },
  { Page: { type: 'object', properties: { rows: { type: 'array' } } } },
);

describe('OpenAPI merge', () => {
  const merged = mergeOpenApi(gateway, [
    { service: 'contacts', document: contacts },
    { service: 'sales', document: sales },
  ], routes);

  it('keeps the paths each service owns through the gateway, and the gateway\'s own', () => {
    expect(Object.keys(merged.paths).sort()).toEqual(['/api/v1/accounts/{id}', '/api/v1/admin/api-keys', '/api/v1/contacts', '/api/v1/deals', '/health/ready']);
    expect((merged.paths['/api/v1/deals'].get as { responses: Record<string, { description: string }> }).responses[200].description).toBe('ok');
  });

  it('shares a schema defined alike, and prefixes one defined differently, refs rewritten', () => {
    const schemas = merged.components!.schemas as Record<string, unknown>;
    expect(Object.keys(schemas).sort()).toEqual(['Contact', 'ContactsPage', 'Problem', 'SalesPage']);
    expect(schemas.Contact).toEqual({ type: 'object', properties: { owner: { $ref: '#/components/schemas/ContactsPage' } } });
    expect(JSON.stringify(merged.paths['/api/v1/accounts/{id}'])).toContain('#/components/schemas/ContactsPage');
    expect(JSON.stringify(merged.paths['/api/v1/deals'])).toContain('#/components/schemas/SalesPage');
    expect(JSON.stringify(merged.paths['/api/v1/contacts'])).toContain('#/components/schemas/Problem"');
  });

  it('applies the X-Api-Key scheme globally, drops the services\' own, leaves health public', () => {
    expect(merged.security).toEqual([{ ApiKey: [] }, { Bearer: [] }]);
    expect(merged.components!.securitySchemes).toEqual({
      ApiKey: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }),
      Bearer: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
    });
    expect(merged.paths['/api/v1/contacts'].post!.security).toBeUndefined();
    expect(merged.paths['/health/ready'].get!.security).toEqual([]);
  });

  it('merges tags once each', () => {
    expect(merged.tags!.map((tag) => tag.name)).toEqual(['admin', 'contacts']);
  });

  it('leaves out a service that is down, with a note', () => {
    const partial = mergeOpenApi(gateway, [{ service: 'contacts', document: contacts }, { service: 'sales', error: 'connection refused' }], routes);
    expect(Object.keys(partial.paths)).not.toContain('/api/v1/deals');
    expect(partial.info.description).toContain('Left out: the sales service did not serve its document (connection refused).');
    expect(partial.info.description).toContain('Included: gateway, contacts.');
  });

  it('does not collide with a name already taken', () => {
    const taken = mergeOpenApi(doc({}, { Page: { a: 1 }, ContactsPage: { b: 2 } }), [{ service: 'contacts', document: doc({}, { Page: { c: 3 } }) }], routes);
    expect(Object.keys(taken.components!.schemas!).sort()).toEqual(['ContactsPage', 'ContactsPage2', 'GatewayPage']);
  });
});
