import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { ValidationError } from '@clientela/contracts';

export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 50;

/** `limit` and `cursor` of every list; services extend it with their filters and `sort`. */
export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;

  @ApiPropertyOptional({ description: 'opaque: the `nextCursor` of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

/** A sort a list offers: an SQL expression that is never null (coalesce it). */
export interface SortKey {
  expression: string;
}

export interface KeysetOptions {
  /** The name clients send (`name`, `-createdAt`): `-` sorts descending. */
  sort: string;
  sorts: Record<string, SortKey>;
  /** The unique tie-breaker column, e.g. `c.id`. */
  idExpression: string;
  limit?: number;
  cursor?: string;
}

const invalidCursor = () =>
  new ValidationError('cursor is not valid for this list and sort', [{ path: 'cursor', constraints: { cursor: 'must be the nextCursor of this list, with the same sort' } }]);

const encodeCursor = (sort: string, value: string, id: string): string => Buffer.from(JSON.stringify([sort, value, id])).toString('base64url');

const decodeCursor = (cursor: string, sort: string): [string, string] => {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(decoded) || decoded.length !== 3 || decoded[0] !== sort) throw invalidCursor();
  const [, value, id] = decoded as unknown[];
  if (typeof value !== 'string' || typeof id !== 'string') throw invalidCursor();
  return [value, id];
};

/**
 * One page of a list by keyset pagination on (sort value, id): stable while rows are added, and
 * as fast on page 1,000 as on page 1. The cursor names its sort, so it cannot be replayed on another.
 */
export const keysetPage = async <Row extends ObjectLiteral>(query: SelectQueryBuilder<Row>, options: KeysetOptions): Promise<Page<Row>> => {
  const descending = options.sort.startsWith('-');
  const key = options.sorts[descending ? options.sort.slice(1) : options.sort];
  if (!key) {
    const allowed = Object.keys(options.sorts).flatMap((s) => [s, `-${s}`]);
    throw new ValidationError(`sort must be one of ${allowed.join(', ')}`, [{ path: 'sort', constraints: { isIn: `sort must be one of ${allowed.join(', ')}` } }]);
  }
  const limit = options.limit ?? DEFAULT_PAGE_SIZE;
  const direction = descending ? 'DESC' : 'ASC';
  if (options.cursor !== undefined) {
    const [value, id] = decodeCursor(options.cursor, options.sort);
    query.andWhere(`(${key.expression}, ${options.idExpression}) ${descending ? '<' : '>'} (:cursorValue, :cursorId)`, { cursorValue: value, cursorId: id });
  }
  // The cursor carries the sort value as PostgreSQL prints it: a timestamp read into a JS Date would
  // lose its microseconds, and the next page would start with the last row of this one again.
  const { entities, raw } = await query
    .addSelect(`(${key.expression})::text`, 'keyset_sort')
    .addSelect(`(${options.idExpression})::text`, 'keyset_id')
    .orderBy(key.expression, direction)
    .addOrderBy(options.idExpression, direction)
    .limit(limit + 1)
    .getRawAndEntities<{ keyset_sort: string; keyset_id: string }>();
  const items = entities.slice(0, limit);
  const last = raw[limit - 1];
  return entities.length > limit && last ? { items, nextCursor: encodeCursor(options.sort, last.keyset_sort, last.keyset_id) } : { items };
};
