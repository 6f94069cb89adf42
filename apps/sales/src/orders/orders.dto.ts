import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO4217CurrencyCode, IsISO8601, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { PageQuery } from '@clientela/service-kit';
import { sortsOf } from '../pipelines/pipelines.dto';

export const ORDER_STATUSES = ['placed', 'cancelled'] as const;
export const ORDER_SORTS = ['placedAt', 'amount', 'net'] as const;
export const CUSTOMER_REVENUE_SORTS = ['net', 'orderCount', 'lastOrderAt'] as const;

export class OrderIdParams {
  @IsUUID() id!: string;
}

export class CustomerIdParams {
  @IsUUID() customerId!: string;
}

export class ListOrdersQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'the contact' }) @IsOptional() @IsUUID() customer?: string;
  @ApiPropertyOptional({ description: '`deal`, or the system an order was ingested from' }) @IsOptional() @IsString() @Length(1, 100) source?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID() deal?: string;
  @ApiPropertyOptional({ enum: ORDER_STATUSES }) @IsOptional() @IsIn(ORDER_STATUSES) status?: string;
  @ApiPropertyOptional() @IsOptional() @IsISO4217CurrencyCode() currency?: string;
  @ApiPropertyOptional({ description: 'placed at or after (ISO 8601)' }) @IsOptional() @IsISO8601({ strict: true }) placedFrom?: string;
  @ApiPropertyOptional({ description: 'placed before (ISO 8601)' }) @IsOptional() @IsISO8601({ strict: true }) placedTo?: string;
  @ApiPropertyOptional({ enum: sortsOf(ORDER_SORTS), default: '-placedAt' }) @IsOptional() @IsIn(sortsOf(ORDER_SORTS)) sort?: string;
}

export class ListCustomerRevenueQuery extends PageQuery {
  @ApiPropertyOptional() @IsOptional() @IsISO4217CurrencyCode() currency?: string;
  @ApiPropertyOptional({ enum: sortsOf(CUSTOMER_REVENUE_SORTS), default: '-net' }) @IsOptional() @IsIn(sortsOf(CUSTOMER_REVENUE_SORTS)) sort?: string;
}
