import { IsEmail, IsISO4217CurrencyCode, IsISO8601, IsOptional, IsString, IsUUID, Length, Matches, MaxLength } from 'class-validator';
import { defineEvent, type RecordedEventOf } from '../catalogue';
import { DECIMAL_AMOUNT } from '../contacts/lead-events';
import { PersonalData } from '../personal-data';

/** A quota's period: a calendar month (`2027-01`) or quarter (`2027-Q1`). */
export const SALES_PERIOD = /^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$/;

export class SalesTeamCreatedPayload {
  @IsUUID() teamId!: string;
  @IsString() @Length(1, 200) name!: string;
  @IsISO8601() createdAt!: string;
}

export class SalesTeamRenamedPayload {
  @IsUUID() teamId!: string;
  @IsString() @Length(1, 200) name!: string;
  @IsISO8601() renamedAt!: string;
}

/** A sales rep: `repId` is the id deals name as their `ownerId`. */
export class SalesRepRegisteredPayload {
  @IsUUID() repId!: string;
  @IsString() @Length(1, 200) @PersonalData() name!: string;
  @IsOptional() @IsString() @MaxLength(254) @IsEmail() @PersonalData() email?: string;
  @IsOptional() @IsUUID() teamId?: string;
  @IsISO8601() registeredAt!: string;
}

/** What changed; `teamId: null` takes the rep out of every team. */
export class SalesRepChangedPayload {
  @IsUUID() repId!: string;
  @IsOptional() @IsString() @Length(1, 200) @PersonalData() name?: string;
  @IsOptional() @IsString() @MaxLength(254) @IsEmail() @PersonalData() email?: string | null;
  @IsOptional() @IsUUID() teamId?: string | null;
  @IsISO8601() changedAt!: string;
}

/** The rep's quota for a period; a later one for the same period replaces it. */
export class SalesQuotaSetPayload {
  @IsUUID() repId!: string;
  @Matches(SALES_PERIOD) period!: string;
  @Matches(DECIMAL_AMOUNT) amount!: string;
  @IsISO4217CurrencyCode() currency!: string;
  @IsISO8601() setAt!: string;
}

export const SalesTeamCreated = defineEvent({ type: 'SalesTeamCreated', payload: SalesTeamCreatedPayload });
export const SalesTeamRenamed = defineEvent({ type: 'SalesTeamRenamed', payload: SalesTeamRenamedPayload });
export const SalesRepRegistered = defineEvent({ type: 'SalesRepRegistered', payload: SalesRepRegisteredPayload });
export const SalesRepChanged = defineEvent({ type: 'SalesRepChanged', payload: SalesRepChangedPayload });
export const SalesQuotaSet = defineEvent({ type: 'SalesQuotaSet', payload: SalesQuotaSetPayload });

export const SalesTeamEventDefinitions = [SalesTeamCreated, SalesTeamRenamed] as const;
export const SalesRepEventDefinitions = [SalesRepRegistered, SalesRepChanged, SalesQuotaSet] as const;

type Data<D> = D extends { payload: new () => infer P } ? Omit<P, never> : never;
export type SalesTeamEvent = {
  [K in (typeof SalesTeamEventDefinitions)[number] as K['type']]: { type: K['type']; data: Data<K> };
}[(typeof SalesTeamEventDefinitions)[number]['type']];
export type SalesRepEvent = {
  [K in (typeof SalesRepEventDefinitions)[number] as K['type']]: { type: K['type']; data: Data<K> };
}[(typeof SalesRepEventDefinitions)[number]['type']];
export type RecordedSalesRepEvent = RecordedEventOf<(typeof SalesRepEventDefinitions)[number]>;
