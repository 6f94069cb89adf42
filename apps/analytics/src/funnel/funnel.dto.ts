import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO4217CurrencyCode, IsISO8601, IsOptional, Matches } from 'class-validator';
import { PageQuery } from '@clientela/service-kit';
import { DAY, sortsOf } from '../rfm/rfm.dto';
import { ACQUISITION_GROUPS, FUNNEL_PERIODS } from './funnel.sql';

const DAY_MESSAGE = { message: '$property must be a date, YYYY-MM-DD' };
const SOURCE = /^[a-z0-9][a-z0-9._:/-]{0,62}$/;

class DateRange extends PageQuery {
  @ApiProperty({ description: 'first day (YYYY-MM-DD, UTC)', example: '2024-01-01' }) @Matches(DAY, DAY_MESSAGE) @IsISO8601({ strict: true }, DAY_MESSAGE) from!: string;
  @ApiProperty({ description: 'the day after the last (YYYY-MM-DD, UTC)', example: '2025-01-01' }) @Matches(DAY, DAY_MESSAGE) @IsISO8601({ strict: true }, DAY_MESSAGE) to!: string;
}

export class FunnelQuery extends DateRange {
  @ApiPropertyOptional({ enum: FUNNEL_PERIODS, default: 'month', description: 'contacts are grouped by the period they registered in' }) @IsOptional() @IsIn(FUNNEL_PERIODS) period?: string;
  @ApiPropertyOptional({ description: 'one source (a lead source, or `direct`)' }) @IsOptional() @Matches(SOURCE) source?: string;
}

export const ACQUISITION_SORTS = ['key', 'leads', 'cost', 'revenue', 'roi', 'conversion'] as const;

export class AcquisitionQuery extends DateRange {
  @ApiPropertyOptional({ enum: ACQUISITION_GROUPS, default: 'source' }) @IsOptional() @IsIn(ACQUISITION_GROUPS) by?: (typeof ACQUISITION_GROUPS)[number];
  @ApiPropertyOptional({ description: 'the currency of costs and revenue (amounts of others are not added)', default: 'USD' }) @IsOptional() @IsISO4217CurrencyCode() currency?: string;
  @ApiPropertyOptional({ description: 'revenue counted up to this day (YYYY-MM-DD); default today' }) @IsOptional() @Matches(DAY, DAY_MESSAGE) @IsISO8601({ strict: true }, DAY_MESSAGE) asOf?: string;
  @ApiPropertyOptional({ enum: sortsOf(ACQUISITION_SORTS), default: 'key' }) @IsOptional() @IsIn(sortsOf(ACQUISITION_SORTS)) sort?: string;
}
