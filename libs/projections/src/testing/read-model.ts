import type { Pool } from 'pg';
import type { Position } from '@clientela/contracts';
import { schemaOf, type Projection } from '../projection';
import { DEFAULT_REGISTRY_SCHEMA } from '../registry';

/**
 * A table's rows, ordered by primary key, every value as text (numerics trimmed of trailing
 * zeros, timestamps as ISO), so that two copies compare row for row.
 */
export const readRows = async (
  pool: Pool,
  projection: Projection,
  table: string,
  schema = schemaOf(projection),
): Promise<Array<Record<string, string | null>>> => {
  const definition = projection.tables[table];
  const columns = Object.keys(definition.columns);
  const select = columns
    .map((c) => {
      const column = definition.columns[c];
      const type = typeof column === 'string' ? column : column.type;
      if (type === 'numeric') return `trim_scale(${c})::text as ${c}`;
      if (type === 'timestamptz') return `to_char(${c} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ${c}`;
      return `${c}::text as ${c}`;
    })
    .join(', ');
  const { rows } = await pool.query<Record<string, string | null>>(
    `select ${select} from ${schema}.${table} order by ${definition.primaryKey.join(', ')}`,
  );
  return rows;
};

/** Resolves once the projection's checkpoint has reached `position`. */
export const waitForCheckpoint = async (pool: Pool, name: string, position: Position, timeoutMs = 30_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await pool.query<{ position: string }>(`select position::text from ${DEFAULT_REGISTRY_SCHEMA}.state where name = $1`, [name]);
    if (rows[0] && BigInt(rows[0].position) >= position) return;
    if (Date.now() > deadline) throw new Error(`projection ${name} did not reach ${position} in ${timeoutMs} ms (at ${rows[0]?.position ?? 'none'})`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};
