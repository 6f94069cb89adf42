import { Type } from 'class-transformer';
import { IsIn, IsISO8601, IsObject, IsOptional, IsString, IsUUID, Length, Matches, MaxLength, ValidateNested } from 'class-validator';
import { defineEvent, type RecordedEventOf } from '../catalogue';
import { PersonalData } from '../personal-data';
import { PostalAddress } from './contact-events';

/** Employee-count bands, smallest first: how sales and analytics segment companies. */
export const ACCOUNT_SIZES = ['1-10', '11-50', '51-200', '201-1000', '1001-5000', '5000+'] as const;
export type AccountSize = (typeof ACCOUNT_SIZES)[number];

/** A domain as accounts store it: lower case, no scheme, no `www.`, no path (`example.com`). */
export const ACCOUNT_DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

// A company is not a person: its name, domain and address are not personal data; free text may be.
class AccountEventBase {
  @IsUUID() accountId!: string;
}

export class AccountRegisteredPayload extends AccountEventBase {
  @IsString() @Length(1, 200) name!: string;
  @IsOptional() @Matches(ACCOUNT_DOMAIN) domain?: string;
  @IsOptional() @IsString() @Length(1, 100) industry?: string;
  @IsOptional() @IsIn(ACCOUNT_SIZES) size?: AccountSize;
  @IsOptional() @IsObject() @ValidateNested() @Type(() => PostalAddress) address?: PostalAddress;
  @IsOptional() @IsUUID() ownerId?: string;
  @IsISO8601() registeredAt!: string;
}

/** Fields that changed, with their new values; `null` clears one (never the name). */
export class AccountProfileChangedPayload extends AccountEventBase {
  @IsOptional() @IsString() @Length(1, 200) name?: string;
  @IsOptional() @Matches(ACCOUNT_DOMAIN) domain?: string | null;
  @IsOptional() @IsString() @Length(1, 100) industry?: string | null;
  @IsOptional() @IsIn(ACCOUNT_SIZES) size?: AccountSize | null;
  @IsOptional() @IsObject() @ValidateNested() @Type(() => PostalAddress) address?: PostalAddress | null;
  @IsOptional() @IsUUID() ownerId?: string | null;
  @IsISO8601() changedAt!: string;
}

export class AccountArchivedPayload extends AccountEventBase {
  /** Free text: it may name people. */
  @IsOptional() @IsString() @MaxLength(500) @PersonalData() reason?: string;
  @IsISO8601() archivedAt!: string;
}

export const AccountRegistered = defineEvent({ type: 'AccountRegistered', payload: AccountRegisteredPayload });
export const AccountProfileChanged = defineEvent({ type: 'AccountProfileChanged', payload: AccountProfileChangedPayload });
/** An archived account takes no more changes; its contacts keep pointing at it. */
export const AccountArchived = defineEvent({ type: 'AccountArchived', payload: AccountArchivedPayload });

export const AccountEventDefinitions = [AccountRegistered, AccountProfileChanged, AccountArchived] as const;

type Data<D> = D extends { payload: new () => infer P } ? Omit<P, never> : never;
/** Every account event as a decider sees it: `{ type, data }`, a union discriminated by `type`. */
export type AccountEvent = {
  [K in (typeof AccountEventDefinitions)[number] as K['type']]: { type: K['type']; data: Data<K> };
}[(typeof AccountEventDefinitions)[number]['type']];
export type RecordedAccountEvent = RecordedEventOf<(typeof AccountEventDefinitions)[number]>;
