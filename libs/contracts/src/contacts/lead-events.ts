import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO4217CurrencyCode, IsISO8601, IsObject, IsOptional, IsString, IsUUID, Length, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { defineEvent, type RecordedEventOf } from '../catalogue';
import { PersonalData } from '../personal-data';
import { E164 } from './contact-events';

/** Where a lead stands: `new` until someone works on it, then qualified or disqualified; `converted` once it is a contact. */
export const LEAD_STATUSES = ['new', 'working', 'qualified', 'disqualified', 'converted'] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];
/** The statuses a qualification sets; `new` is where leads start, `converted` where conversion ends them. */
export const QUALIFICATION_STATUSES = ['working', 'qualified', 'disqualified'] as const;
export type QualificationStatus = (typeof QUALIFICATION_STATUSES)[number];

/** Lead sources as marketing names them, lower case: `webinar`, `google-ads`, `partner:acme`. */
export const LEAD_SOURCE = /^[a-z0-9][a-z0-9._:/-]{0,62}$/;
/** A decimal amount as a string (never a float): up to 12 digits and 4 decimals, e.g. `12.50`. */
export const DECIMAL_AMOUNT = /^\d{1,12}(\.\d{1,4})?$/;

export class Money {
  @Matches(DECIMAL_AMOUNT, { message: 'amount must be a decimal string such as 12.50' }) amount!: string;
  /** ISO 4217, upper case: `EUR`. */
  @IsISO4217CurrencyCode() currency!: string;
}

class LeadEventBase {
  @IsUUID() leadId!: string;
}

export class LeadCapturedPayload extends LeadEventBase {
  @Matches(LEAD_SOURCE) source!: string;
  @IsOptional() @IsUUID() campaignId?: string;
  /** What it cost to acquire this lead: cost per lead is its sum over the count. */
  @IsOptional() @IsObject() @ValidateNested() @Type(() => Money) acquisitionCost?: Money;
  @IsOptional() @IsString() @MaxLength(100) @PersonalData() givenName?: string;
  @IsOptional() @IsString() @MaxLength(100) @PersonalData() familyName?: string;
  /** Normalised: trimmed, lower case. */
  @IsOptional() @IsString() @MaxLength(254) @PersonalData() email?: string;
  @IsOptional() @Matches(E164) @PersonalData() phone?: string;
  @IsOptional() @IsString() @Length(1, 200) companyName?: string;
  @IsISO8601() capturedAt!: string;
}

/** The person's fields that changed, with their new values; `null` clears one. */
export class LeadProfileChangedPayload extends LeadEventBase {
  @IsOptional() @IsString() @MaxLength(100) @PersonalData() givenName?: string | null;
  @IsOptional() @IsString() @MaxLength(100) @PersonalData() familyName?: string | null;
  @IsOptional() @IsString() @MaxLength(254) @PersonalData() email?: string | null;
  @IsOptional() @Matches(E164) @PersonalData() phone?: string | null;
  @IsOptional() @IsString() @Length(1, 200) companyName?: string | null;
  @IsISO8601() changedAt!: string;
}

export class LeadQualificationChangedPayload extends LeadEventBase {
  @IsIn(LEAD_STATUSES) from!: LeadStatus;
  @IsIn(QUALIFICATION_STATUSES) to!: QualificationStatus;
  /** 0 to 100; absent when this change did not set one. */
  @IsOptional() @IsInt() @Min(0) @Max(100) score?: number;
  /** Why: required when disqualified. */
  @IsOptional() @IsString() @MaxLength(500) @PersonalData() reason?: string;
  @IsISO8601() changedAt!: string;
}

/**
 * A qualified lead became a contact (and an account, when it named its company). The sales
 * service turns it into a deal; it carries the acquisition facts so nobody needs the lead stream.
 */
export class LeadConvertedPayload extends LeadEventBase {
  /**
   * The customer the lead became. Deliberately not also `customerId`: Kafka keys an event by its
   * `customerId`, which would put this event on another partition than the lead's earlier events,
   * and a consumer could then see the lead converted before it saw it qualified.
   */
  @IsUUID() contactId!: string;
  @IsOptional() @IsUUID() accountId?: string;
  /** Who takes the new contact (and account, and deal) on. */
  @IsOptional() @IsUUID() ownerId?: string;
  @Matches(LEAD_SOURCE) source!: string;
  @IsOptional() @IsUUID() campaignId?: string;
  @IsOptional() @IsObject() @ValidateNested() @Type(() => Money) acquisitionCost?: Money;
  @IsOptional() @IsInt() @Min(0) @Max(100) score?: number;
  @IsISO8601() convertedAt!: string;
}

export const LeadCaptured = defineEvent({ type: 'LeadCaptured', payload: LeadCapturedPayload });
export const LeadProfileChanged = defineEvent({ type: 'LeadProfileChanged', payload: LeadProfileChangedPayload });
export const LeadQualificationChanged = defineEvent({ type: 'LeadQualificationChanged', payload: LeadQualificationChangedPayload });
/** Read by sales (a new deal) and analytics (the funnel, cost per converted lead). */
export const LeadConverted = defineEvent({ type: 'LeadConverted', payload: LeadConvertedPayload });

export const LeadEventDefinitions = [LeadCaptured, LeadProfileChanged, LeadQualificationChanged, LeadConverted] as const;

type Data<D> = D extends { payload: new () => infer P } ? Omit<P, never> : never;
/** Every lead event as a decider sees it: `{ type, data }`, a union discriminated by `type`. */
export type LeadEvent = {
  [K in (typeof LeadEventDefinitions)[number] as K['type']]: { type: K['type']; data: Data<K> };
}[(typeof LeadEventDefinitions)[number]['type']];
export type RecordedLeadEvent = RecordedEventOf<(typeof LeadEventDefinitions)[number]>;
