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
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { defineEvent, type RecordedEventOf } from '../catalogue';
import { DECIMAL_AMOUNT, LEAD_SOURCE } from '../contacts/lead-events';
import { PersonalData } from '../personal-data';
import { STAGE_ID } from './pipeline-events';

/** `YYYY-MM-DD`: a day, not an instant. The pattern alone lets 2027-02-30 through: it goes with IsISO8601 strict, which checks the day exists. */
export const ISO_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
export const MAX_DEAL_LINES = 100;
export const DEAL_OUTCOMES = ['won', 'lost'] as const;

export class DealLine {
  /** The product's key (SKU) in the catalogue it comes from. */
  @IsString() @Length(1, 200) productId!: string;
  @IsOptional() @IsString() @MaxLength(500) name?: string;
  @IsInt() @Min(1) quantity!: number;
  /** Exact decimal string, in the deal's currency. */
  @Matches(DECIMAL_AMOUNT) unitPrice!: string;
  /** Amount off the line (not a percentage), exact decimal; at most quantity x unit price. */
  @Matches(DECIMAL_AMOUNT) discount!: string;
  /** quantity x unitPrice - discount, exact. */
  @Matches(DECIMAL_AMOUNT) total!: string;
}

/**
 * Every deal event carries `customerId` (the contact the deal is with, set when it opens and never
 * changed), so Kafka keeps a deal's events in order and analytics can follow them.
 */
class DealEventBase {
  @IsUUID() dealId!: string;
  @IsUUID() customerId!: string;
}

export class DealOpenedPayload extends DealEventBase {
  @IsUUID() pipelineId!: string;
  @Matches(STAGE_ID) stageId!: string;
  @IsInt() @Min(0) @Max(100) probability!: number;
  @IsString() @Length(1, 200) name!: string;
  /** Exact decimal: the lines' total when there are lines. */
  @Matches(DECIMAL_AMOUNT) amount!: string;
  @IsISO4217CurrencyCode() currency!: string;
  @IsOptional() @Matches(ISO_DATE) @IsISO8601({ strict: true }) expectedCloseDate?: string;
  @IsOptional() @IsUUID() ownerId?: string;
  @IsOptional() @IsUUID() accountId?: string;
  @IsArray() @ArrayMaxSize(MAX_DEAL_LINES) @ValidateNested({ each: true }) @Type(() => DealLine) lines!: DealLine[];
  /** The lead it came from, when a converted lead opened it. */
  @IsOptional() @IsUUID() leadId?: string;
  @IsOptional() @Matches(LEAD_SOURCE) source?: string;
  @IsISO8601() openedAt!: string;
}

/** The fields that changed; `null` clears an optional one. New lines come with the amount they make. */
export class DealChangedPayload extends DealEventBase {
  @IsOptional() @IsString() @Length(1, 200) name?: string;
  @IsOptional() @Matches(DECIMAL_AMOUNT) amount?: string;
  @IsOptional() @IsISO4217CurrencyCode() currency?: string;
  @IsOptional() @Matches(ISO_DATE) @IsISO8601({ strict: true }) expectedCloseDate?: string | null;
  @IsOptional() @IsUUID() ownerId?: string | null;
  @IsOptional() @IsUUID() accountId?: string | null;
  @IsOptional() @IsArray() @ArrayMaxSize(MAX_DEAL_LINES) @ValidateNested({ each: true }) @Type(() => DealLine) lines?: DealLine[];
  @IsISO8601() changedAt!: string;
}

export class DealStageMovedPayload extends DealEventBase {
  @IsUUID() pipelineId!: string;
  @Matches(STAGE_ID) from!: string;
  @Matches(STAGE_ID) to!: string;
  /** The new stage's default win probability, taken when the deal entered it. */
  @IsInt() @Min(0) @Max(100) probability!: number;
  /** How long the deal stood in `from`. */
  @IsInt() @Min(0) secondsInStage!: number;
  @IsISO8601() movedAt!: string;
}

export class DealWonPayload extends DealEventBase {
  /** The stage it was won from. */
  @Matches(STAGE_ID) stageId!: string;
  @Matches(DECIMAL_AMOUNT) amount!: string;
  @IsISO4217CurrencyCode() currency!: string;
  /** The order the won deal becomes, on the contact (derived from the deal and the win). */
  @IsUUID() orderId!: string;
  @IsOptional() @IsString() @MaxLength(500) @PersonalData() reason?: string;
  @IsInt() @Min(0) secondsInStage!: number;
  @IsISO8601() wonAt!: string;
}

export class DealLostPayload extends DealEventBase {
  /** The stage it was lost in. */
  @Matches(STAGE_ID) stageId!: string;
  @IsString() @Length(1, 500) @PersonalData() reason!: string;
  @IsInt() @Min(0) secondsInStage!: number;
  @IsISO8601() lostAt!: string;
}

/** Back to open, in the stage it closed from. Reopening a won deal cancels its order. */
export class DealReopenedPayload extends DealEventBase {
  @IsIn(DEAL_OUTCOMES) from!: (typeof DEAL_OUTCOMES)[number];
  @Matches(STAGE_ID) stageId!: string;
  @IsInt() @Min(0) @Max(100) probability!: number;
  /** When reopened from won: the order cancelled, with its amount, so read models need no other event. */
  @IsOptional() @IsUUID() cancelledOrderId?: string;
  @IsOptional() @Matches(DECIMAL_AMOUNT) cancelledAmount?: string;
  @IsOptional() @IsISO4217CurrencyCode() cancelledCurrency?: string;
  @IsOptional() @IsString() @MaxLength(500) @PersonalData() reason?: string;
  @IsISO8601() reopenedAt!: string;
}

export const DealOpened = defineEvent({ type: 'DealOpened', payload: DealOpenedPayload });
export const DealChanged = defineEvent({ type: 'DealChanged', payload: DealChangedPayload });
export const DealStageMoved = defineEvent({ type: 'DealStageMoved', payload: DealStageMovedPayload });
/** Read by analytics (revenue, sales cycle) and by the sales orders read model. */
export const DealWon = defineEvent({ type: 'DealWon', payload: DealWonPayload });
export const DealLost = defineEvent({ type: 'DealLost', payload: DealLostPayload });
export const DealReopened = defineEvent({ type: 'DealReopened', payload: DealReopenedPayload });

export const DealEventDefinitions = [DealOpened, DealChanged, DealStageMoved, DealWon, DealLost, DealReopened] as const;

type Data<D> = D extends { payload: new () => infer P } ? Omit<P, never> : never;
export type DealEvent = {
  [K in (typeof DealEventDefinitions)[number] as K['type']]: { type: K['type']; data: Data<K> };
}[(typeof DealEventDefinitions)[number]['type']];
export type RecordedDealEvent = RecordedEventOf<(typeof DealEventDefinitions)[number]>;
