import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsIn, IsISO4217CurrencyCode, IsISO8601, IsOptional, IsUUID, Matches } from 'class-validator';
import { PageQuery } from '@clientela/service-kit';
import { DEFAULT_CURRENCY, sortsOf } from '../rfm/rfm.dto';
import { TIMELINE_CHANNELS } from './timeline';

export class CustomerParams {
  @IsUUID() id!: string;
}

export class CustomerViewQuery {
  @ApiPropertyOptional({ description: 'the currency of the scores (segment, loyalty tier, churn band)', default: DEFAULT_CURRENCY })
  @IsOptional()
  @IsISO4217CurrencyCode()
  currency?: string;
}

export const TIMELINE_SORTS = ['occurredAt'] as const;
const EVENT_TYPE = /^[A-Z][A-Za-z0-9]{0,99}$/;

/** `a,b` or repeated parameters: a list either way. */
const toList = ({ value }: { value: unknown }): unknown =>
  (Array.isArray(value) ? value : [value]).flatMap((v) => (typeof v === 'string' ? v.split(',') : [v])).map((v) => (typeof v === 'string' ? v.trim() : v));

export class TimelineQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'event types, comma-separated: `CustomerOrderPlaced,DealWon`', type: String })
  @IsOptional()
  @Transform(toList)
  @ArrayMaxSize(50)
  @Matches(EVENT_TYPE, { each: true, message: 'each type must be an event type name such as CustomerOrderPlaced' })
  type?: string[];

  @ApiPropertyOptional({ description: `channels, comma-separated: ${TIMELINE_CHANNELS.join(', ')}`, type: String })
  @IsOptional()
  @Transform(toList)
  @ArrayMaxSize(TIMELINE_CHANNELS.length)
  @IsIn(TIMELINE_CHANNELS, { each: true })
  channel?: string[];

  @ApiPropertyOptional({ description: 'events at or after this instant (ISO 8601)' }) @IsOptional() @IsISO8601({ strict: true }) from?: string;
  @ApiPropertyOptional({ description: 'events before this instant (ISO 8601)' }) @IsOptional() @IsISO8601({ strict: true }) to?: string;

  @ApiPropertyOptional({ enum: sortsOf(TIMELINE_SORTS), default: 'occurredAt', description: 'time order (ties in store order); `-occurredAt` for the newest first' })
  @IsOptional()
  @IsIn(sortsOf(TIMELINE_SORTS))
  sort?: string;
}
