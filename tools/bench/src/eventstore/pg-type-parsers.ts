import { types } from 'pg';

/** The type ids whose text parsers Emmett's driver replaces process-wide: int8, json, jsonb. */
const TYPE_IDS = [20, 114, 3802] as const;

export type TypeParsers = ReadonlyMap<number, (value: string) => unknown>;

export const captureTypeParsers = (): TypeParsers =>
  new Map(TYPE_IDS.map((oid) => [oid, types.getTypeParser(oid, 'text') as (value: string) => unknown] as const));

export const restoreTypeParsers = (parsers: TypeParsers): void => {
  for (const [oid, parser] of parsers) types.setTypeParser(oid, 'text', parser);
};
