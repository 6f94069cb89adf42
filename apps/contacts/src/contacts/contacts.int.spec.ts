import request from 'supertest';
import { bootTestService, type TestBus, type TestService } from '@clientela/service-kit/testing';
import { contactsService } from '../contacts-service';

describe.each<TestBus>(['standalone', 'kafka'])('contacts over HTTP (%s)', (bus) => {
  let service: TestService;
  beforeAll(async () => {
    service = await bootTestService(contactsService, { bus });
  });
  afterAll(async () => {
    await service?.close();
  });

  const http = () => request(service.server);

  it('registers a contact and reads it back with X-Min-Position', async () => {
    const created = await http()
      .post('/api/v1/contacts')
      .send({ givenName: 'Ada', familyName: 'Lovelace', emails: ['Ada@Example.com'], phones: ['+4915112345678'], tags: ['vip'], address: { city: 'London', country: 'GB' } })
      .expect(201);
    expect(created.body).toMatchObject({ revision: expect.any(Number) });
    expect(created.headers.etag).toBe(`"${created.body.revision}"`);
    const read = await http().get(`/api/v1/contacts/${created.body.id}`).set('x-min-position', created.headers['x-position']).expect(200);
    expect(read.body).toMatchObject({ givenName: 'Ada', familyName: 'Lovelace', emails: ['ada@example.com'], phones: ['+4915112345678'], tags: ['vip'], lifecycleStage: 'subscriber' });
    expect(read.body.address).toMatchObject({ city: 'London', country: 'GB' });
  });
});
