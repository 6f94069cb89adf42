import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { testServerUrl } from '@clientela/testing';
import { ensureDatabase } from './ensure-database';

// npm start starts every service at once on a new server, and each makes sure the database exists.
describe('ensureDatabase', () => {
  const name = `clientela_ensure_${randomBytes(4).toString('hex')}`;
  const url = new URL(testServerUrl());
  url.pathname = `/${name}`;
  const admin = () => new Client({ connectionString: testServerUrl() });

  afterAll(async () => {
    const client = admin();
    await client.connect();
    await client.query(`drop database if exists "${name}"`);
    await client.end();
  });

  it('creates the database once when several services ask for it at the same moment', async () => {
    await Promise.all(Array.from({ length: 8 }, () => ensureDatabase(url.toString())));
    const client = admin();
    await client.connect();
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    await client.end();
    expect(rowCount).toBe(1);
  });
});
