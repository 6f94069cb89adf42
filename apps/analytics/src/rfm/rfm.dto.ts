import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { IsIn, IsISO4217CurrencyCode, IsISO8601, IsOptional, IsUUID, Matches } from 'class-validator';
import { PageQuery } from '@clientela/service-kit';
import { RFM_SEGMENTS } from './rfm-segments';

export const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MESSAGE = { message: '$property must be a date, YYYY-MM-DD' };
export const DEFAULT_CURRENCY = 'USD';

/** `name` and `-name` for each sort a list offers. */
export const sortsOf = (names: readonly string[]): string[] => names.flatMap((n) => [n, `-${n}`]);

export const RFM_SORTS = ['monetary', 'frequency', 'recencyDays', 'score', 'lastPurchaseOn'] as const;
export const MOVEMENT_SORTS = ['customerId', 'monetary'] as const;

export class AsOfQuery {
  @ApiPropertyOptional({ description: 'the day RFM is computed as of (YYYY-MM-DD, UTC); default today', example: '1998-06-30' })
  @IsOptional()
  @Matches(DAY, DAY_MESSAGE)
  @IsISO8601({ strict: true }, DAY_MESSAGE)
  asOf?: string;

  @ApiPropertyOptional({ description: 'the currency whose orders count (amounts of different currencies are never added)', default: DEFAULT_CURRENCY })
  @IsOptional()
  @IsISO4217CurrencyCode()
  currency?: string;
}

export class ListRfmQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'YYYY-MM-DD (UTC); default today', example: '1998-06-30' })
  @IsOptional()
  @Matches(DAY, DAY_MESSAGE)
  @IsISO8601({ strict: true }, DAY_MESSAGE)
  asOf?: string;

  @ApiPropertyOptional({ default: DEFAULT_CURRENCY }) @IsOptional() @IsISO4217CurrencyCode() currency?: string;
  @ApiPropertyOptional({ enum: RFM_SEGMENTS }) @IsOptional() @IsIn(RFM_SEGMENTS) segment?: string;
  @ApiPropertyOptional({ description: 'one customer' }) @IsOptional() @IsUUID() customer?: string;
  @ApiPropertyOptional({ enum: sortsOf(RFM_SORTS), default: '-monetary', description: '`score` is R, F, M read as a three-digit number' })
  @IsOptional()
  @IsIn(sortsOf(RFM_SORTS))
  sort?: string;
}

class MovementDates {
  @ApiProperty({ description: 'the earlier day, YYYY-MM-DD', example: '1997-12-31' }) @Matches(DAY, DAY_MESSAGE) @IsISO8601({ strict: true }, DAY_MESSAGE) from!: string;
  @ApiProperty({ description: 'the later day, YYYY-MM-DD', example: '1998-06-30' }) @Matches(DAY, DAY_MESSAGE) @IsISO8601({ strict: true }, DAY_MESSAGE) to!: string;
  @ApiPropertyOptional({ default: DEFAULT_CURRENCY }) @IsOptional() @IsISO4217CurrencyCode() currency?: string;
}

export class MovementSummaryQuery extends MovementDates {}

export class ListMovementsQuery extends PageQuery {
  @ApiProperty({ example: '1997-12-31' }) @Matches(DAY, DAY_MESSAGE) @IsISO8601({ strict: true }, DAY_MESSAGE) from!: string;
  @ApiProperty({ example: '1998-06-30' }) @Matches(DAY, DAY_MESSAGE) @IsISO8601({ strict: true }, DAY_MESSAGE) to!: string;
  @ApiPropertyOptional({ default: DEFAULT_CURRENCY }) @IsOptional() @IsISO4217CurrencyCode() currency?: string;
  @ApiPropertyOptional({ enum: [...RFM_SEGMENTS, 'none'], description: '`none`: no purchase yet on `from`' }) @IsOptional() @IsIn([...RFM_SEGMENTS, 'none']) fromSegment?: string;
  @ApiPropertyOptional({ enum: RFM_SEGMENTS }) @IsOptional() @IsIn(RFM_SEGMENTS) toSegment?: string;
  @ApiPropertyOptional({ description: 'only customers whose segment changed' }) @IsOptional() @IsIn(['true', 'false']) changed?: string;
  @ApiPropertyOptional({ enum: sortsOf(MOVEMENT_SORTS), default: 'customerId' }) @IsOptional() @IsIn(sortsOf(MOVEMENT_SORTS)) sort?: string;
}
