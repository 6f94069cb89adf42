import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The admin key when ADMIN_API_KEY is not set: made once, kept (mode 600) in the data folder, so a
 * newcomer's `npm start` can call the API at once and a second start keeps the same key.
 */
export const adminKeyOf = (dataDir: string): { key: string; from: string } => {
  const file = join(dataDir, 'admin-api-key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `ck_admin_${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  }
  return { key: readFileSync(file, 'utf8').trim(), from: `kept in ${file}; set ADMIN_API_KEY to choose it` };
};

/**
 * The master key personal data is sealed under when CLIENTELA_MASTER_KEY is not set: made once, kept
 * (mode 600) in the data folder beside the database it protects. Fine for a laptop; production sets
 * its own and keeps it apart from the data (whoever holds both reads every person's personal data,
 * and losing it loses them).
 */
export const masterKeyOf = (dataDir: string): { key: string; from: string } => {
  const file = join(dataDir, 'master-key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  }
  return { key: readFileSync(file, 'utf8').trim(), from: `generated and kept in ${file}: set CLIENTELA_MASTER_KEY in production` };
};
