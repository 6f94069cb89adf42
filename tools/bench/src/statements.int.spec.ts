import { testServerUrl } from '@clientela/testing';
import { createBenchDatabase, withClient } from './database';
import { databaseOid, readStatements } from './statements';

// `npm run bench -- <name> --statements`: what ran in a bench's databases, read after they are dropped.
// The test server may or may not load pg_stat_statements; either answer is checked.
describe('readStatements', () => {
  it("finds a dropped database's statements, or says what the server lacks", async () => {
    const database = await createBenchDatabase(testServerUrl(), 'clientela_statements_spec');
    let oid: number;
    try {
      oid = await databaseOid(database.url);
      await withClient(database.url, (client) => client.query('select 42 as statements_spec_answer'));
    } finally {
      await database.drop();
    }
    const result = await readStatements(testServerUrl(), [oid], 50);
    if (result.available) {
      expect(result.statements.some((s) => s.query.includes('statements_spec_answer') && s.calls === 1)).toBe(true);
    } else {
      console.log(`pg_stat_statements not available on the test server: ${result.reason}`);
      expect(result.reason).toMatch(/pg_stat_statements/);
    }
  });
});
