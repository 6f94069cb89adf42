import { useTestWorld } from '@clientela/testing';
import { migrateMessaging } from './schema';

// Messaging's tables were made without a version history before the one migrations runner; a
// database made then must migrate on, keeping what it holds.
describe('migrateMessaging', () => {
  const world = useTestWorld({ name: 'messaging_schema', pool: { max: 3 } });

  it('records version 1 on a schema the unversioned code made, keeps its rows, and applies nothing twice', async () => {
    const pool = world.pool;
    await pool.query(`
      create schema before_versions;
      create table before_versions.handled_events (
        consumer text not null, event_key text not null, handled_at timestamptz not null default now(), primary key (consumer, event_key));
      create table before_versions.checkpoints (name text primary key, position text not null, updated_at timestamptz not null default now());
      insert into before_versions.handled_events (consumer, event_key) values ('orders', 'e-1');`);
    await migrateMessaging(pool, 'before_versions');
    await migrateMessaging(pool, 'before_versions');
    const versions = await pool.query<{ version: number }>('select version from before_versions.schema_migrations');
    expect(versions.rows.map((r) => r.version)).toEqual([1]);
    const handled = await pool.query<{ event_key: string }>('select event_key from before_versions.handled_events');
    expect(handled.rows.map((r) => r.event_key)).toEqual(['e-1']);
    // The tables the old schema lacked are there now.
    const replays = await pool.query<{ n: string }>('select count(*) as n from before_versions.replays');
    expect(replays.rows[0].n).toBe('0');
  });
});
