import { Type } from 'class-transformer';
import {
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO4217CurrencyCode,
  IsISO8601,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Length,
  Matches,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { defineEvent, type RecordedEventOf } from '../catalogue';
import { DECIMAL_AMOUNT } from '../contacts/lead-events';
import { TOKEN } from '../contacts/contact-events';
import { PersonalData } from '../personal-data';

/**
 * What customers did in other systems, once the contacts service has resolved who they are.
 * Ingest messages (`OrderPlaced`, `EmailOpened`...) are what the sources send; these are the
 * domain events appended for them, named `Customer...` so the two never collide. Orders and
 * refunds go to `order-<id>` streams (read by sales), the rest to the contact's `activity-<contactId>`.
 */
class CustomerEventBase {
  /** The contact the event was resolved to. */
  @IsUUID() customerId!: string;
  /** The sending system, as in the ingest message. */
  @Matches(TOKEN) source!: string;
  /** The ingest message's id within its source: (source, sourceEventId) is the dedupe key. */
  @IsString() @Length(1, 200) sourceEventId!: string;
  /** When it happened at the source (not when it was ingested). */
  @IsISO8601() occurredAt!: string;
}

const URL_OPTIONS = { require_tld: false, require_protocol: true } as const;

export class CustomerOrderLine {
  @IsString() @Length(1, 200) sku!: string;
  @IsOptional() @IsString() @MaxLength(500) name?: string;
  @IsInt() @Min(1) quantity!: number;
  /** Exact decimal string (never a float), e.g. `9.50`. */
  @Matches(DECIMAL_AMOUNT) unitPrice!: string;
}

export class CustomerOrderPlacedPayload extends CustomerEventBase {
  /** The order id at its source; the stream is `order-<uuid derived from source and orderId>`. */
  @IsString() @Length(1, 200) orderId!: string;
  @IsArray() @ArrayMinSize(1) @ValidateNested({ each: true }) @Type(() => CustomerOrderLine) lines!: CustomerOrderLine[];
  /** Exact decimal string, the order's total as the source states it. */
  @Matches(DECIMAL_AMOUNT) amount!: string;
  @IsISO4217CurrencyCode() currency!: string;
}

export class CustomerOrderRefundedPayload extends CustomerEventBase {
  @IsString() @Length(1, 200) orderId!: string;
  /** Exact decimal string: what was paid back, subtracted from net revenue. */
  @Matches(DECIMAL_AMOUNT) amount!: string;
  @IsISO4217CurrencyCode() currency!: string;
  @IsOptional() @IsString() @MaxLength(2000) @PersonalData() reason?: string;
}

export class CustomerEmailOpenedPayload extends CustomerEventBase {
  @IsString() @Length(1, 200) messageId!: string;
  @IsOptional() @IsString() @MaxLength(200) campaignId?: string;
}

export class CustomerEmailClickedPayload extends CustomerEventBase {
  @IsString() @Length(1, 200) messageId!: string;
  @IsUrl(URL_OPTIONS) url!: string;
  @IsOptional() @IsString() @MaxLength(200) campaignId?: string;
}

export class CustomerWebPageViewedPayload extends CustomerEventBase {
  @IsUrl(URL_OPTIONS) url!: string;
  @IsOptional() @IsUrl(URL_OPTIONS) referrer?: string;
  @IsOptional() @IsString() @MaxLength(200) sessionId?: string;
}

export class CustomerCallLoggedPayload extends CustomerEventBase {
  @IsString() @Length(1, 200) callId!: string;
  @IsIn(['inbound', 'outbound']) direction!: 'inbound' | 'outbound';
  @IsInt() @Min(0) durationSeconds!: number;
  @IsOptional() @IsString() @MaxLength(200) agent?: string;
  @IsOptional() @IsString() @MaxLength(10_000) @PersonalData() notes?: string;
}

export class CustomerSocialMentionedPayload extends CustomerEventBase {
  @IsString() @Length(1, 10_000) @PersonalData() text!: string;
  @IsString() @Length(1, 100) network!: string;
  @IsUrl(URL_OPTIONS) url!: string;
}

export const CustomerOrderPlaced = defineEvent({ type: 'CustomerOrderPlaced', payload: CustomerOrderPlacedPayload });
export const CustomerOrderRefunded = defineEvent({ type: 'CustomerOrderRefunded', payload: CustomerOrderRefundedPayload });
export const CustomerEmailOpened = defineEvent({ type: 'CustomerEmailOpened', payload: CustomerEmailOpenedPayload });
export const CustomerEmailClicked = defineEvent({ type: 'CustomerEmailClicked', payload: CustomerEmailClickedPayload });
export const CustomerWebPageViewed = defineEvent({ type: 'CustomerWebPageViewed', payload: CustomerWebPageViewedPayload });
export const CustomerCallLogged = defineEvent({ type: 'CustomerCallLogged', payload: CustomerCallLoggedPayload });
export const CustomerSocialMentioned = defineEvent({ type: 'CustomerSocialMentioned', payload: CustomerSocialMentionedPayload });

/** Appended to `order-` streams; sales builds orders and net revenue from them. */
export const CustomerOrderEventDefinitions = [CustomerOrderPlaced, CustomerOrderRefunded] as const;
/** Appended to `activity-<contactId>` streams. */
export const CustomerActivityEventDefinitions = [
  CustomerEmailOpened,
  CustomerEmailClicked,
  CustomerWebPageViewed,
  CustomerCallLogged,
  CustomerSocialMentioned,
] as const;
export const CustomerEventDefinitions = [...CustomerOrderEventDefinitions, ...CustomerActivityEventDefinitions] as const;

export type RecordedCustomerEvent = RecordedEventOf<(typeof CustomerEventDefinitions)[number]>;
