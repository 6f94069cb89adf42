import { Module } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { Pool } from 'pg';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '@clientela/testing';
import { ProblemDetailsFilter } from '../http/problem-details';
import { HealthModule } from './health.module';
import { componentReadiness, postgresReadiness } from './readiness';

describe('health endpoints', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let consumerStatus: 'up' | 'down' = 'up';
  const unreachable = new Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/none', connectionTimeoutMillis: 500 });
  unreachable.on('error', () => undefined);

  const boot = async (checks: Parameters<typeof HealthModule.forRoot>[0]['checks']) => {
    @Module({ imports: [HealthModule.forRoot({ checks })] })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const nest = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    nest.useGlobalFilters(new ProblemDetailsFilter(nest.get(HttpAdapterHost)));
    await nest.init();
    await nest.getHttpAdapter().getInstance().ready();
    return nest;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await boot([
      postgresReadiness(database.pool({ max: 1 })),
      componentReadiness('consumer orders', () => [{ name: 'postgres', status: consumerStatus, ...(consumerStatus === 'down' ? { error: 'connection refused' } : {}) }]),
    ]);
  });

  afterAll(async () => {
    await app.close();
    await unreachable.end();
    await database.drop();
  });

  it('is live, and ready while every check is up', async () => {
    await request(app.getHttpServer()).get('/health/live').expect(200);
    const ready = await request(app.getHttpServer()).get('/health/ready').expect(200);
    expect(ready.body.status).toBe('ok');
    expect(Object.keys(ready.body.details)).toEqual(['postgres', 'consumer orders']);
  });

  it('answers 503 problem+json naming what is down, with its details', async () => {
    consumerStatus = 'down';
    const response = await request(app.getHttpServer()).get('/health/ready').expect(503);
    consumerStatus = 'up';
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.body.status).toBe(503);
    expect(response.body.detail).toBe('not ready: consumer orders');
    expect(response.body.error['consumer orders'].parts[0]).toMatchObject({ status: 'down', error: 'connection refused' });
    expect(response.body.info.postgres.status).toBe('up');
  });

  it('reports an unreachable database as down, not as a crash', async () => {
    const other = await boot([postgresReadiness(unreachable)]);
    try {
      const response = await request(other.getHttpServer()).get('/health/ready').expect(503);
      expect(response.body.error.postgres.status).toBe('down');
      expect(String(response.body.error.postgres.error)).toMatch(/ECONNREFUSED|connect/);
      await request(other.getHttpServer()).get('/health/live').expect(200);
    } finally {
      await other.close();
    }
  });
});
