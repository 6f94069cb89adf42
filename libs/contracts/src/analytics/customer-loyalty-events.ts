import { IsIn, IsISO4217CurrencyCode, IsISO8601, IsInt, IsNumber, IsOptional, IsUUID, Matches, Max, Min } from 'class-validator';
import { defineEvent } from '../catalogue';

/** Loyalty tiers from the lowest; the analytics service's thresholds (12-month value and tenure) place customers. */
export const LOYALTY_TIERS = ['bronze', 'silver', 'gold', 'platinum'] as const;
export type LoyaltyTier = (typeof LOYALTY_TIERS)[number];
/** Churn risk (1 - P(alive)) banded, from the lowest. */
export const CHURN_BANDS = ['low', 'medium', 'high', 'very_high'] as const;
export type ChurnBand = (typeof CHURN_BANDS)[number];

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** A refund of an older order can make a window's net value negative. */
const SIGNED_AMOUNT = /^-?\d{1,12}(\.\d{1,4})?$/;

/**
 * A customer's loyalty tier changed between two days the analytics service computed it for, in one
 * currency's purchases. In `customerLoyalty-<customerId>` streams, so campaigns can reward an upgrade
 * or act on a downgrade without computing tiers.
 */
export class CustomerLoyaltyTierChangedPayload {
  @IsUUID() customerId!: string;
  /** Absent: the customer's first tier. */
  @IsOptional() @IsIn(LOYALTY_TIERS) from?: LoyaltyTier;
  @IsIn(LOYALTY_TIERS) to!: LoyaltyTier;
  @Matches(DAY) @IsISO8601({ strict: true }) asOf!: string;
  @IsISO4217CurrencyCode() currency!: string;
  /** Net revenue of the 12 months up to `asOf`, exact decimal. */
  @Matches(SIGNED_AMOUNT) rollingValue!: string;
  /** Days from the first purchase to `asOf`. */
  @IsInt() @Min(0) tenureDays!: number;
}

/** A customer's churn band changed (churn risk = 1 - P(alive) of the value model fitted as of `asOf`). Same streams. */
export class CustomerChurnBandChangedPayload {
  @IsUUID() customerId!: string;
  @IsOptional() @IsIn(CHURN_BANDS) from?: ChurnBand;
  @IsIn(CHURN_BANDS) to!: ChurnBand;
  @Matches(DAY) @IsISO8601({ strict: true }) asOf!: string;
  @IsISO4217CurrencyCode() currency!: string;
  @IsNumber() @Min(0) @Max(1) churnRisk!: number;
}

export const CustomerLoyaltyTierChanged = defineEvent({ type: 'CustomerLoyaltyTierChanged', payload: CustomerLoyaltyTierChangedPayload });
export const CustomerChurnBandChanged = defineEvent({ type: 'CustomerChurnBandChanged', payload: CustomerChurnBandChangedPayload });

export const LoyaltyEventDefinitions = [CustomerLoyaltyTierChanged, CustomerChurnBandChanged] as const;
