import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { CHURN_BANDS, LOYALTY_TIERS } from '@clientela/contracts';
import { IsIn, IsInt, IsISO4217CurrencyCode, IsISO8601, IsOptional, Matches, Max, Min } from 'class-validator';
import { PageQuery } from '@clientela/service-kit';
import { DAY, sortsOf } from '../rfm/rfm.dto';

const DAY_MESSAGE = { message: '$property must be a date, YYYY-MM-DD' };
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

export const LOYALTY_SORTS = ['rollingValue', 'tenureDays', 'churnRisk', 'lastPurchaseOn'] as const;

export class LoyaltyAsOfQuery {
  @ApiPropertyOptional({ description: 'YYYY-MM-DD (UTC); default today', example: '1998-06-30' })
  @IsOptional()
  @Matches(DAY, DAY_MESSAGE)
  @IsISO8601({ strict: true }, DAY_MESSAGE)
  asOf?: string;

  @ApiPropertyOptional({ default: 'USD' }) @IsOptional() @IsISO4217CurrencyCode() currency?: string;
}

export class ListLoyaltyQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'YYYY-MM-DD (UTC); default today', example: '1998-06-30' })
  @IsOptional()
  @Matches(DAY, DAY_MESSAGE)
  @IsISO8601({ strict: true }, DAY_MESSAGE)
  asOf?: string;

  @ApiPropertyOptional({ default: 'USD' }) @IsOptional() @IsISO4217CurrencyCode() currency?: string;
  @ApiPropertyOptional({ enum: LOYALTY_TIERS }) @IsOptional() @IsIn(LOYALTY_TIERS) tier?: string;
  @ApiPropertyOptional({ enum: CHURN_BANDS }) @IsOptional() @IsIn(CHURN_BANDS) churnBand?: string;
  @ApiPropertyOptional({ enum: sortsOf(LOYALTY_SORTS), default: '-rollingValue' }) @IsOptional() @IsIn(sortsOf(LOYALTY_SORTS)) sort?: string;
}

export class CohortRetentionQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'YYYY-MM-DD (UTC); default today', example: '1998-06-30' })
  @IsOptional()
  @Matches(DAY, DAY_MESSAGE)
  @IsISO8601({ strict: true }, DAY_MESSAGE)
  asOf?: string;

  @ApiPropertyOptional({ default: 'USD' }) @IsOptional() @IsISO4217CurrencyCode() currency?: string;
  @ApiPropertyOptional({ description: 'first cohort month, YYYY-MM' }) @IsOptional() @Matches(MONTH, { message: 'fromCohort must be a month, YYYY-MM' }) fromCohort?: string;
  @ApiPropertyOptional({ description: 'last cohort month, YYYY-MM' }) @IsOptional() @Matches(MONTH, { message: 'toCohort must be a month, YYYY-MM' }) toCohort?: string;
  @ApiPropertyOptional({ description: 'months since the first purchase, at most', minimum: 0, maximum: 1200 }) @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(1200) maxMonths?: number;
}

export class PublishLoyaltyChangesBody {
  @ApiPropertyOptional({ description: 'the day loyalty is computed as of (YYYY-MM-DD), not after today; default yesterday (UTC)', example: '1998-06-30' })
  @IsOptional()
  @Matches(DAY, DAY_MESSAGE)
  @IsISO8601({ strict: true }, DAY_MESSAGE)
  asOf?: string;

  @ApiPropertyOptional({ default: 'USD' }) @IsOptional() @IsISO4217CurrencyCode() currency?: string;
}
