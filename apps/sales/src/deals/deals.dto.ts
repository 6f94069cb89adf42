import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO4217CurrencyCode,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { DECIMAL_AMOUNT, ISO_DATE, MAX_DEAL_LINES, STAGE_ID } from '@clientela/contracts';
import { PageQuery } from '@clientela/service-kit';
import { sortsOf } from '../pipelines/pipelines.dto';
import { ListOnly, OptionalNotNull } from '../validation/optional';
import { DEAL_STATUSES_FILTER } from './deal-status';

const decimal = { message: 'must be a decimal string with at most 4 decimals, such as 12.50' };
const isoDate = { message: 'must be a date, YYYY-MM-DD' };

export class DealLineDto {
  @IsString() @Length(1, 200) productId!: string;
  @OptionalNotNull() @IsString() @MaxLength(500) name?: string;
  @IsInt() @Min(1) quantity!: number;
  @Matches(DECIMAL_AMOUNT, decimal) unitPrice!: string;
  @OptionalNotNull() @Matches(DECIMAL_AMOUNT, decimal) discount?: string;
  /** When given, it must be the deal's: currencies do not mix in one deal (422). */
  @OptionalNotNull() @IsISO4217CurrencyCode() currency?: string;
}

class DealFieldsDto {
  @OptionalNotNull() @Matches(DECIMAL_AMOUNT, decimal) amount?: string;
  @IsOptional() @Matches(ISO_DATE, isoDate) @IsISO8601({ strict: true }, isoDate) expectedCloseDate?: string | null;
  @IsOptional() @IsUUID() ownerId?: string | null;
  @IsOptional() @IsUUID() accountId?: string | null;
  @OptionalNotNull() @IsArray() @ArrayMaxSize(MAX_DEAL_LINES) @ValidateNested({ each: true }) @Type(() => DealLineDto) @ListOnly() lines?: DealLineDto[];
}

export class OpenDealDto extends DealFieldsDto {
  @IsString() @Length(1, 200) name!: string;
  /** The contact the deal is with; it never changes. */
  @IsUUID() customerId!: string;
  @IsUUID() pipelineId!: string;
  /** Default: the pipeline's first stage. */
  @OptionalNotNull() @Matches(STAGE_ID) stageId?: string;
  @IsISO4217CurrencyCode() currency!: string;
}

/** Absent fields stay, null clears; lines given replace the lines and set the amount. */
export class UpdateDealDto extends DealFieldsDto {
  @OptionalNotNull() @IsString() @Length(1, 200) name?: string;
  @OptionalNotNull() @IsISO4217CurrencyCode() currency?: string;
}

export class MoveDealDto {
  @Matches(STAGE_ID) stageId!: string;
}

export class WinDealDto {
  @OptionalNotNull() @IsString() @Length(1, 500) reason?: string;
}

export class LoseDealDto {
  @IsString() @Length(1, 500) reason!: string;
}

export class ReopenDealDto {
  @OptionalNotNull() @IsString() @Length(1, 500) reason?: string;
}

export class DealIdParams {
  @IsUUID() id!: string;
}

export const DEAL_SORTS = ['name', 'openedAt', 'amount', 'expectedCloseDate', 'updatedAt'] as const;

export class ListDealsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'prefix of the name (case-insensitive)' }) @IsOptional() @IsString() @Length(1, 200) name?: string;
  @ApiPropertyOptional({ enum: DEAL_STATUSES_FILTER }) @IsOptional() @IsIn(DEAL_STATUSES_FILTER) status?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID() pipeline?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(STAGE_ID) stage?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID() owner?: string;
  @ApiPropertyOptional({ description: 'the contact' }) @IsOptional() @IsUUID() customer?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID() account?: string;
  @ApiPropertyOptional() @IsOptional() @IsISO4217CurrencyCode() currency?: string;
  @ApiPropertyOptional({ description: 'expected to close on or after this day' }) @IsOptional() @Matches(ISO_DATE, isoDate) @IsISO8601({ strict: true }, isoDate) closeFrom?: string;
  @ApiPropertyOptional({ description: 'expected to close on or before this day' }) @IsOptional() @Matches(ISO_DATE, isoDate) @IsISO8601({ strict: true }, isoDate) closeTo?: string;
  @ApiPropertyOptional({ enum: sortsOf(DEAL_SORTS), default: '-openedAt' }) @IsOptional() @IsIn(sortsOf(DEAL_SORTS)) sort?: string;
}
