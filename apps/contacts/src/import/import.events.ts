import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsISO8601, IsString, IsUUID, MaxLength, Min, ValidateNested } from 'class-validator';
import { defineEvent } from '@clientela/contracts';

/**
 * A CSV import job, one stream `contactImport-<id>`: started with its mapping, one event per batch
 * of rows with the counts and the bad rows' errors, then finished (or failed). Only contacts reads
 * it (its `imports` read model answers GET /imports/:id); errors name rows and columns, never values.
 */
export const IMPORT_KINDS = ['contacts', 'accounts'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

export class ImportStartedPayload {
  @IsUUID() importId!: string;
  @IsIn(IMPORT_KINDS) kind!: ImportKind;
  @IsBoolean() dryRun!: boolean;
  /** CSV column → field, as sent. */
  @IsString() @MaxLength(20_000) mapping!: string;
  @IsISO8601() startedAt!: string;
}

export class ImportRowError {
  /** The row as a spreadsheet numbers it: the header is row 1. */
  @IsInt() @Min(2) row!: number;
  /** The CSV column (or `row` for what concerns the whole row). */
  @IsString() @MaxLength(200) field!: string;
  @IsString() @MaxLength(500) message!: string;
}

export class ImportRowsProcessedPayload {
  @IsUUID() importId!: string;
  @IsInt() @Min(0) rowsRead!: number;
  @IsInt() @Min(0) created!: number;
  @IsInt() @Min(0) matched!: number;
  @IsInt() @Min(0) failed!: number;
  @IsArray() @ArrayMaxSize(50_000) @ValidateNested({ each: true }) @Type(() => ImportRowError) errors!: ImportRowError[];
}

export class ImportFinishedPayload {
  @IsUUID() importId!: string;
  @IsIn(['finished', 'failed']) status!: 'finished' | 'failed';
  @IsString() @MaxLength(1000) reason!: string;
  @IsISO8601() finishedAt!: string;
}

export const ImportStarted = defineEvent({ type: 'ContactImportStarted', payload: ImportStartedPayload });
export const ImportRowsProcessed = defineEvent({ type: 'ContactImportRowsProcessed', payload: ImportRowsProcessedPayload });
export const ImportFinished = defineEvent({ type: 'ContactImportFinished', payload: ImportFinishedPayload });
export const ImportEventDefinitions = [ImportStarted, ImportRowsProcessed, ImportFinished] as const;
