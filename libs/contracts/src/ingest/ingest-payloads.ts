import { Type } from 'class-transformer';
import {
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO4217CurrencyCode,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { PersonalData } from '../personal-data';

const URL_OPTIONS = { require_tld: false, require_protocol: true } as const;

export class IngestOrderLine {
  @IsString() @Length(1, 200) sku!: string;
  @IsOptional() @IsString() @MaxLength(500) name?: string;
  @IsInt() @Min(1) quantity!: number;
  @IsNumber({ maxDecimalPlaces: 4 }) @Min(0) unitPrice!: number;
}

export class IngestOrderPlaced {
  @IsString() @Length(1, 200) orderId!: string;
  @IsArray() @ArrayMinSize(1) @ValidateNested({ each: true }) @Type(() => IngestOrderLine) lines!: IngestOrderLine[];
  @IsNumber({ maxDecimalPlaces: 4 }) @Min(0) amount!: number;
  @IsISO4217CurrencyCode() currency!: string;
}

export class IngestOrderRefunded {
  @IsString() @Length(1, 200) orderId!: string;
  @IsNumber({ maxDecimalPlaces: 4 }) @Min(0) amount!: number;
  @IsISO4217CurrencyCode() currency!: string;
  @IsOptional() @IsString() @MaxLength(2000) @PersonalData() reason?: string;
}

export class IngestEmailOpened {
  @IsString() @Length(1, 200) messageId!: string;
  @IsOptional() @IsString() @MaxLength(200) campaignId?: string;
}

export class IngestEmailClicked {
  @IsString() @Length(1, 200) messageId!: string;
  @IsUrl(URL_OPTIONS) url!: string;
  @IsOptional() @IsString() @MaxLength(200) campaignId?: string;
}

export class IngestWebPageViewed {
  @IsUrl(URL_OPTIONS) url!: string;
  @IsOptional() @IsUrl(URL_OPTIONS) referrer?: string;
  @IsOptional() @IsString() @MaxLength(200) sessionId?: string;
}

export class IngestCallLogged {
  @IsString() @Length(1, 200) callId!: string;
  @IsIn(['inbound', 'outbound']) direction!: 'inbound' | 'outbound';
  @IsInt() @Min(0) durationSeconds!: number;
  @IsOptional() @IsString() @MaxLength(200) agent?: string;
  /** Free text about a person: personal. */
  @IsOptional() @IsString() @MaxLength(10_000) @PersonalData() notes?: string;
}

export class IngestSocialMentioned {
  /** What the person wrote: personal. */
  @IsString() @Length(1, 10_000) @PersonalData() text!: string;
  @IsString() @Length(1, 100) network!: string;
  @IsUrl(URL_OPTIONS) url!: string;
}

/**
 * A consent given or withdrawn at its source (an unsubscribe link at the mail provider, a
 * preference centre); kept per channel and purpose with that source.
 */
export class IngestConsentChanged {
  @IsIn(['email', 'sms', 'phone']) channel!: 'email' | 'sms' | 'phone';
  @IsIn(['marketing', 'profiling']) purpose!: 'marketing' | 'profiling';
  @IsBoolean() granted!: boolean;
}

/** The payload class of each ingest type. */
export const IngestPayloads = {
  OrderPlaced: IngestOrderPlaced,
  OrderRefunded: IngestOrderRefunded,
  EmailOpened: IngestEmailOpened,
  EmailClicked: IngestEmailClicked,
  WebPageViewed: IngestWebPageViewed,
  CallLogged: IngestCallLogged,
  SocialMentioned: IngestSocialMentioned,
  ConsentChanged: IngestConsentChanged,
} as const;

export type IngestEventType = keyof typeof IngestPayloads;
export const IngestEventTypes = Object.keys(IngestPayloads) as IngestEventType[];
export type IngestPayloadOf<T extends IngestEventType> = InstanceType<(typeof IngestPayloads)[T]>;
