import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO4217CurrencyCode, IsISO8601, IsOptional, IsUUID, Matches } from 'class-validator';
import { SALES_PERIOD } from '@clientela/contracts';

class ReportFilters {
  @ApiPropertyOptional() @IsOptional() @IsUUID() pipeline?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID() owner?: string;
  @ApiPropertyOptional({ description: 'the owners of a team' }) @IsOptional() @IsUUID() team?: string;
  @ApiPropertyOptional() @IsOptional() @IsISO4217CurrencyCode() currency?: string;
}

export class PipelineReportQuery extends ReportFilters {}

export const PERIOD_KINDS = ['month', 'quarter'] as const;

export class ForecastReportQuery extends ReportFilters {
  @ApiPropertyOptional({ enum: PERIOD_KINDS, default: 'quarter' }) @IsOptional() @IsIn(PERIOD_KINDS) by?: (typeof PERIOD_KINDS)[number];
}

export const WIN_RATE_GROUPS = ['owner', 'team'] as const;

export class WinRateReportQuery {
  @ApiPropertyOptional({ enum: WIN_RATE_GROUPS, default: 'owner' }) @IsOptional() @IsIn(WIN_RATE_GROUPS) by?: (typeof WIN_RATE_GROUPS)[number];
  @ApiPropertyOptional() @IsOptional() @IsUUID() pipeline?: string;
  @ApiPropertyOptional({ description: 'closed at or after (ISO 8601)' }) @IsOptional() @IsISO8601({ strict: true }) closedFrom?: string;
  @ApiPropertyOptional({ description: 'closed before (ISO 8601)' }) @IsOptional() @IsISO8601({ strict: true }) closedTo?: string;
}

export class QuotaAttainmentQuery {
  @Matches(SALES_PERIOD, { message: 'period must be a month (2027-01) or a quarter (2027-Q1)' }) period!: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID() team?: string;
}
