import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO4217CurrencyCode, IsISO8601, IsNumber, IsOptional, IsUUID, Matches, Max, Min } from 'class-validator';
import { PageQuery } from '@clientela/service-kit';
import { DAY, sortsOf } from '../rfm/rfm.dto';

const DAY_MESSAGE = { message: '$property must be a date, YYYY-MM-DD' };

export class ValueModelQuery {
  @ApiProperty({ description: 'the model sees purchases up to this day (YYYY-MM-DD, UTC)', example: '1997-09-30' })
  @Matches(DAY, DAY_MESSAGE)
  @IsISO8601({ strict: true }, DAY_MESSAGE)
  calibrationEnd!: string;

  @ApiPropertyOptional({ default: 'USD' }) @IsOptional() @IsISO4217CurrencyCode() currency?: string;
}

export class CustomerIdParams {
  @IsUUID() customerId!: string;
}

export class CustomerValueQuery {
  @ApiPropertyOptional({ description: 'the model\'s calibration end and the day values are as of (YYYY-MM-DD); default today', example: '1997-09-30' })
  @IsOptional()
  @Matches(DAY, DAY_MESSAGE)
  @IsISO8601({ strict: true }, DAY_MESSAGE)
  calibrationEnd?: string;

  @ApiPropertyOptional({ default: 'USD' }) @IsOptional() @IsISO4217CurrencyCode() currency?: string;

  @ApiPropertyOptional({ description: 'weeks ahead for expected purchases and predicted value', default: 52, minimum: 1, maximum: 520 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(520)
  horizonWeeks?: number;

  @ApiPropertyOptional({ description: 'yearly discount rate of future value', default: 0.1, minimum: 0, maximum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  discountRate?: number;

  @ApiPropertyOptional({ description: 'share of revenue kept as margin, a decimal from 0 to 1', default: '1' })
  @IsOptional()
  @Matches(/^(0(\.\d{1,4})?|1(\.0{1,4})?)$/, { message: 'margin must be a decimal from 0 to 1 with at most 4 decimals' })
  margin?: string;
}

export const CUSTOMER_VALUE_SORTS = ['predictedValue', 'probabilityAlive', 'expectedPurchases', 'netRevenue'] as const;

export class ListCustomerValueQuery extends PageQuery {
  @ApiProperty({ description: 'the model\'s calibration end (YYYY-MM-DD)', example: '1997-09-30' })
  @Matches(DAY, DAY_MESSAGE)
  @IsISO8601({ strict: true }, DAY_MESSAGE)
  calibrationEnd!: string;

  @ApiPropertyOptional({ default: 'USD' }) @IsOptional() @IsISO4217CurrencyCode() currency?: string;
  @ApiPropertyOptional({ default: 52, minimum: 1, maximum: 520 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(520) horizonWeeks?: number;
  @ApiPropertyOptional({ default: 0.1, minimum: 0, maximum: 1 }) @IsOptional() @Type(() => Number) @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) @Max(1) discountRate?: number;
  @ApiPropertyOptional({ default: '1' })
  @IsOptional()
  @Matches(/^(0(\.\d{1,4})?|1(\.0{1,4})?)$/, { message: 'margin must be a decimal from 0 to 1 with at most 4 decimals' })
  margin?: string;

  @ApiPropertyOptional({ description: 'only customers at most this likely to be alive (churn risk lists)', minimum: 0, maximum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  maxProbabilityAlive?: number;

  @ApiPropertyOptional({ enum: sortsOf(CUSTOMER_VALUE_SORTS), default: '-predictedValue' }) @IsOptional() @IsIn(sortsOf(CUSTOMER_VALUE_SORTS)) sort?: string;
}
