import { IsIn, IsInt, IsISO4217CurrencyCode, IsISO8601, IsOptional, IsUUID, Matches, Max, Min } from 'class-validator';
import { defineEvent, type RecordedEventOf } from '../catalogue';
import { LoyaltyEventDefinitions } from './customer-loyalty-events';

/** The RFM segments the analytics service assigns (its map of R and F scores is in apps/analytics). */
export const RFM_SEGMENTS = [
  'Champions',
  'Loyal',
  'Potential Loyalist',
  'New Customers',
  'Promising',
  'Need Attention',
  'About to Sleep',
  'At Risk',
  'Cannot Lose Them',
  'Hibernating',
  'Lost',
] as const;
export type RfmSegment = (typeof RFM_SEGMENTS)[number];

/**
 * A customer's RFM segment changed between two days the analytics service computed it for (once a day,
 * as of the day before), in one currency's purchases. In `customerSegment-<customerId>` streams, so
 * campaigns can target and trigger on a customer entering or leaving a segment.
 */
export class CustomerSegmentChangedPayload {
  @IsUUID() customerId!: string;
  /** Absent: the customer's first segment (its first purchase). */
  @IsOptional() @IsIn(RFM_SEGMENTS) from?: RfmSegment;
  @IsIn(RFM_SEGMENTS) to!: RfmSegment;
  /** The day RFM was computed as of, YYYY-MM-DD (UTC). */
  @Matches(/^\d{4}-\d{2}-\d{2}$/) @IsISO8601({ strict: true }) asOf!: string;
  @IsISO4217CurrencyCode() currency!: string;
  @IsInt() @Min(1) @Max(5) recencyScore!: number;
  @IsInt() @Min(1) @Max(5) frequencyScore!: number;
  @IsInt() @Min(1) @Max(5) monetaryScore!: number;
}

export const CustomerSegmentChanged = defineEvent({ type: 'CustomerSegmentChanged', payload: CustomerSegmentChangedPayload });

/** What the analytics service publishes: segment changes, loyalty tier and churn band changes. */
export const AnalyticsEventDefinitions = [CustomerSegmentChanged, ...LoyaltyEventDefinitions] as const;
export type RecordedAnalyticsEvent = RecordedEventOf<(typeof AnalyticsEventDefinitions)[number]>;
