import type { RecordedEvent } from '@clientela/contracts';
import type { PoolClient } from 'pg';

export type ColumnType =
  | 'text'
  | 'uuid'
  | 'integer'
  | 'bigint'
  | 'numeric'
  | 'double precision'
  | 'boolean'
  | 'timestamptz'
  | 'date'
  | 'jsonb';

export interface ColumnDefinition {
  type: ColumnType;
  nullable?: boolean;
  /** SQL default, e.g. `0` or `now()`; columns that `add` to should default to 0. */
  default?: string;
}

export interface TableDefinition {
  columns: Record<string, ColumnType | ColumnDefinition>;
  primaryKey: readonly string[];
  indexes?: ReadonlyArray<readonly string[]>;
  /**
   * PostgreSQL's fillfactor (10-100, default 100) for a table whose rows are updated again and again
   * (sums per customer, say): with free room on each page an update stays on its row's page and adds
   * no index entry (a HOT update). 1,000,000 upserts of the projections bench's sums per customer in
   * batches of 2,000: 7.1-7.4 s at 70 against 9.2-9.4 s at 100, the table smaller (73 against 85 MB),
   * as pages prune their own dead versions. Tables only inserted into keep the default.
   */
  fillfactor?: number;
}

export type Scalar = string | number | boolean | null;

/**
 * What one event does to one row of a read model table, pure data. Within a batch the
 * runner merges the changes of each row and writes each table with one statement.
 * - `set`: columns take these values (insert if the row is missing);
 * - `add`: numeric columns grow by these amounts (from 0 when the row is new);
 * - `max` / `min`: columns keep the larger / smaller value;
 * - `delete`: the row goes.
 */
export interface RowChange {
  table: string;
  key: Record<string, Scalar>;
  set?: Record<string, Scalar>;
  add?: Record<string, number | string>;
  max?: Record<string, number | string>;
  min?: Record<string, number | string>;
  delete?: true;
}

/** A transaction on the read model, with `search_path` set to the copy being written. */
export interface ProjectionTransaction {
  readonly client: PoolClient;
  /** The schema being written: the live copy or a shadow being rebuilt. */
  readonly schema: string;
}

interface ProjectionBase<Tables extends Record<string, TableDefinition>> {
  /** snake_case; the read model lives in schema `proj_<name>`. */
  name: string;
  /** Bump it when the mapping or the tables change: the projection then rebuilds itself, without downtime. */
  version: number;
  /** The event types it reads; the runner filters on them. */
  eventTypes: readonly string[];
  /** Restrict to these stream categories (optional). */
  categories?: readonly string[];
  tables: Tables;
}

/** The usual kind: a pure mapping from each event to row changes. */
export interface RowProjection<Tables extends Record<string, TableDefinition> = Record<string, TableDefinition>>
  extends ProjectionBase<Tables> {
  project(event: RecordedEvent): RowChange[];
}

/** For what row changes cannot say: SQL against the batch's transaction (tables unqualified). */
export interface SqlProjection<Tables extends Record<string, TableDefinition> = Record<string, TableDefinition>>
  extends ProjectionBase<Tables> {
  apply(events: readonly RecordedEvent[], tx: ProjectionTransaction): Promise<void>;
}

export type Projection = RowProjection | SqlProjection;

export const isRowProjection = (projection: Projection): projection is RowProjection => 'project' in projection;

const NAME = /^[a-z][a-z0-9_]{0,40}$/;
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks a projection's shape once, when it is defined, so mistakes fail at start-up. */
export const defineProjection = <P extends Projection>(projection: P): P => {
  if (!NAME.test(projection.name)) throw new TypeError(`projection name "${projection.name}" must be snake_case`);
  if (!Number.isInteger(projection.version) || projection.version < 1) {
    throw new TypeError(`projection ${projection.name}: version must be an integer >= 1`);
  }
  if (projection.eventTypes.length === 0) throw new TypeError(`projection ${projection.name}: no event types`);
  for (const [table, definition] of Object.entries(projection.tables)) {
    if (!IDENTIFIER.test(table)) throw new TypeError(`projection ${projection.name}: table name "${table}" is not snake_case`);
    const columns = Object.keys(definition.columns);
    for (const column of columns) {
      if (!IDENTIFIER.test(column)) throw new TypeError(`projection ${projection.name}: column "${table}.${column}" is not snake_case`);
    }
    for (const key of [...definition.primaryKey, ...(definition.indexes ?? []).flat()]) {
      if (!columns.includes(key)) throw new TypeError(`projection ${projection.name}: ${table} has no column "${key}"`);
    }
    if (definition.primaryKey.length === 0) throw new TypeError(`projection ${projection.name}: ${table} needs a primary key`);
    const { fillfactor } = definition;
    if (fillfactor !== undefined && !(Number.isInteger(fillfactor) && fillfactor >= 10 && fillfactor <= 100)) {
      throw new TypeError(`projection ${projection.name}: ${table}'s fillfactor must be an integer from 10 to 100, got ${fillfactor}`);
    }
  }
  return projection;
};

export const schemaOf = (projection: Pick<Projection, 'name'>): string => `proj_${projection.name}`;

export const columnDefinition = (column: ColumnType | ColumnDefinition): ColumnDefinition =>
  typeof column === 'string' ? { type: column } : column;

/**
 * DDL for the projection's tables in the current schema, without their secondary indexes:
 * a copy is built first and indexed once (`createIndexesSql`), which is cheaper than keeping
 * indexes up to date through every upsert of a build.
 */
export const createTablesSql = (projection: Projection): string =>
  Object.entries(projection.tables)
    .map(([table, definition]) => {
      const columns = Object.entries(definition.columns).map(([name, column]) => {
        const c = columnDefinition(column);
        const isKey = definition.primaryKey.includes(name);
        return `${name} ${c.type}${c.nullable === false || isKey ? ' not null' : ''}${c.default ? ` default ${c.default}` : ''}`;
      });
      const options = definition.fillfactor === undefined ? '' : ` with (fillfactor = ${definition.fillfactor})`;
      return `create table ${table} (${columns.join(', ')}, primary key (${definition.primaryKey.join(', ')}))${options};`;
    })
    .join('\n');

/** The secondary indexes of the projection's tables in the current schema; safe to run again. */
export const createIndexesSql = (projection: Projection): string =>
  Object.entries(projection.tables)
    .flatMap(([table, definition]) =>
      (definition.indexes ?? []).map((columns, i) => `create index if not exists ${table}_idx_${i} on ${table} (${columns.join(', ')});`),
    )
    .join('\n');
