import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsISO31661Alpha2,
  IsISO8601,
  IsLatitude,
  IsLongitude,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { defineEvent, type RecordedEventOf } from '../catalogue';
import { PersonalData } from '../personal-data';
import { ContactCustomFieldsChanged } from './custom-field-events';

/** Where a contact is in the customer journey, in order; `churned` sits apart (a lost customer). */
export const LIFECYCLE_STAGES = ['subscriber', 'lead', 'mql', 'sql', 'opportunity', 'customer', 'evangelist', 'churned'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

export const CONTACT_CHANNELS = ['email', 'sms', 'phone'] as const;
export type ContactChannel = (typeof CONTACT_CHANNELS)[number];
export const PREFERRED_CHANNELS = ['email', 'sms', 'phone', 'mail', 'none'] as const;
export type PreferredChannel = (typeof PREFERRED_CHANNELS)[number];
export const CONSENT_PURPOSES = ['marketing', 'profiling'] as const;
export type ConsentPurpose = (typeof CONSENT_PURPOSES)[number];

/** E.164: a plus, a country code and at most 15 digits in all. */
export const E164 = /^\+[1-9]\d{6,14}$/;
/** BCP 47 language tags as people use them: `en`, `pt-BR`, `zh-Hant`. */
export const LANGUAGE_TAG = /^[a-z]{2,3}(-[A-Za-z]{4})?(-([A-Z]{2}|\d{3}))?$/;
/** Source systems and tags: short, printable, no spaces at the ends. */
export const TOKEN = /^[A-Za-z0-9][A-Za-z0-9 ._:/@+-]{0,98}[A-Za-z0-9._:/@+-]?$/;

export class PostalAddress {
  @IsOptional() @IsString() @MaxLength(200) @PersonalData() line1?: string;
  @IsOptional() @IsString() @MaxLength(200) @PersonalData() line2?: string;
  @IsOptional() @IsString() @MaxLength(100) city?: string;
  @IsOptional() @IsString() @MaxLength(20) postalCode?: string;
  @IsOptional() @IsString() @MaxLength(100) region?: string;
  @IsOptional() @IsISO31661Alpha2() country?: string;
  @IsOptional() @IsLatitude() lat?: number;
  @IsOptional() @IsLongitude() lon?: number;
}

class ContactEventBase {
  @IsUUID() contactId!: string;
  /** The same id: every event that concerns a customer carries `customerId`. */
  @IsUUID() customerId!: string;
}

export class ContactRegisteredPayload extends ContactEventBase {
  @IsOptional() @IsString() @MaxLength(100) @PersonalData() givenName?: string;
  @IsOptional() @IsString() @MaxLength(100) @PersonalData() familyName?: string;
  @IsOptional() @Matches(LANGUAGE_TAG) language?: string;
  @IsOptional() @IsIn(PREFERRED_CHANNELS) preferredChannel?: PreferredChannel;
  @IsOptional() @IsObject() @ValidateNested() @Type(() => PostalAddress) @PersonalData() address?: PostalAddress;
  @IsOptional() @IsUUID() ownerId?: string;
  @IsOptional() @IsUUID() accountId?: string;
  @IsIn(LIFECYCLE_STAGES) lifecycleStage!: LifecycleStage;
  @IsISO8601() registeredAt!: string;
}

/** Profile fields that changed, with their new values; `null` clears a field. */
export class ContactProfileChangedPayload extends ContactEventBase {
  @IsOptional() @IsString() @MaxLength(100) @PersonalData() givenName?: string | null;
  @IsOptional() @IsString() @MaxLength(100) @PersonalData() familyName?: string | null;
  @IsOptional() @Matches(LANGUAGE_TAG) language?: string | null;
  @IsOptional() @IsIn(PREFERRED_CHANNELS) preferredChannel?: PreferredChannel | null;
  @IsOptional() @IsObject() @ValidateNested() @Type(() => PostalAddress) @PersonalData() address?: PostalAddress | null;
  @IsOptional() @IsUUID() ownerId?: string | null;
  @IsOptional() @IsUUID() accountId?: string | null;
  @IsISO8601() changedAt!: string;
}

export class ContactEmailAddedPayload extends ContactEventBase {
  /** Normalised: trimmed, lower case. */
  @IsString() @MaxLength(254) @PersonalData() email!: string;
  @IsBoolean() primary!: boolean;
}

export class ContactEmailRemovedPayload extends ContactEventBase {
  @IsString() @MaxLength(254) @PersonalData() email!: string;
}

export class ContactPhoneAddedPayload extends ContactEventBase {
  @Matches(E164) @PersonalData() phone!: string;
  @IsBoolean() primary!: boolean;
}

export class ContactPhoneRemovedPayload extends ContactEventBase {
  @Matches(E164) @PersonalData() phone!: string;
}

export class ContactTaggedPayload extends ContactEventBase {
  @Matches(TOKEN) tag!: string;
}

export class ContactIdentityLinkedPayload extends ContactEventBase {
  @Matches(TOKEN) source!: string;
  @IsString() @Length(1, 200) @PersonalData() externalId!: string;
}

export class ContactLifecycleStageChangedPayload extends ContactEventBase {
  @IsIn(LIFECYCLE_STAGES) from!: LifecycleStage;
  @IsIn(LIFECYCLE_STAGES) to!: LifecycleStage;
  @IsOptional() @IsString() @MaxLength(500) @PersonalData() reason?: string;
  @IsISO8601() changedAt!: string;
}

export class ContactConsentPayload extends ContactEventBase {
  @IsIn(CONTACT_CHANNELS) channel!: ContactChannel;
  @IsIn(CONSENT_PURPOSES) purpose!: ConsentPurpose;
  /** Where the consent was given or withdrawn: a form, an unsubscribe link, a call. */
  @Matches(TOKEN) source!: string;
  @IsISO8601() at!: string;
}

/** An external id of a contact: its source system and the id there. */
export class ContactIdentity {
  @Matches(TOKEN) source!: string;
  @IsString() @Length(1, 200) @PersonalData() externalId!: string;
}

/** The identities a merged contact brings to its survivor (they stay its own, and go back on unmerge). */
export class MergedIdentities {
  @IsArray() @ArrayMaxSize(1000) @IsString({ each: true }) @MaxLength(254, { each: true }) @PersonalData() emails!: string[];
  @IsArray() @ArrayMaxSize(1000) @Matches(E164, { each: true }) @PersonalData() phones!: string[];
  @IsArray() @ArrayMaxSize(1000) @ValidateNested({ each: true }) @Type(() => ContactIdentity) @PersonalData() externalIds!: ContactIdentity[];
}

/**
 * In the merged contact's stream: it now counts as its survivor. Nothing is rewritten: read models
 * map every contact of `members` (the merged one and those merged into it before) to `survivorId`,
 * so every stream whose events carry one of them as `customerId` (contact, activity, orders) follows
 * the survivor, and `ContactUnmerged` gives them back.
 */
export class ContactMergedPayload extends ContactEventBase {
  @IsUUID() survivorId!: string;
  /** The merged contact first, then every contact already merged into it: all of them now count as the survivor. */
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(10000) @IsUUID(undefined, { each: true }) members!: string[];
  // Personal as a whole: sealing reads an event's top-level fields, and these are the duplicate's emails, phones and ids.
  @IsObject() @ValidateNested() @Type(() => MergedIdentities) @PersonalData() identities!: MergedIdentities;
  @IsISO8601() mergedAt!: string;
}

/** In the merged contact's stream: it is a contact of its own again, with `members` counting as it again. */
export class ContactUnmergedPayload extends ContactEventBase {
  @IsUUID() survivorId!: string;
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(10000) @IsUUID(undefined, { each: true }) members!: string[];
  @IsISO8601() unmergedAt!: string;
}

/** In the survivor's stream: which contacts it took in (its history says so; erasure finds them here). */
export class ContactDuplicateAbsorbedPayload extends ContactEventBase {
  @IsUUID() mergedId!: string;
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(10000) @IsUUID(undefined, { each: true }) members!: string[];
  @IsISO8601() at!: string;
}

export const ContactRegistered = defineEvent({ type: 'ContactRegistered', payload: ContactRegisteredPayload });
export const ContactProfileChanged = defineEvent({ type: 'ContactProfileChanged', payload: ContactProfileChangedPayload });
export const ContactEmailAdded = defineEvent({ type: 'ContactEmailAdded', payload: ContactEmailAddedPayload });
export const ContactEmailRemoved = defineEvent({ type: 'ContactEmailRemoved', payload: ContactEmailRemovedPayload });
export const ContactPhoneAdded = defineEvent({ type: 'ContactPhoneAdded', payload: ContactPhoneAddedPayload });
export const ContactPhoneRemoved = defineEvent({ type: 'ContactPhoneRemoved', payload: ContactPhoneRemovedPayload });
export const ContactTagged = defineEvent({ type: 'ContactTagged', payload: ContactTaggedPayload });
export const ContactUntagged = defineEvent({ type: 'ContactUntagged', payload: ContactTaggedPayload });
export const ContactIdentityLinked = defineEvent({ type: 'ContactIdentityLinked', payload: ContactIdentityLinkedPayload });
export const ContactIdentityUnlinked = defineEvent({ type: 'ContactIdentityUnlinked', payload: ContactIdentityLinkedPayload });
export const ContactLifecycleStageChanged = defineEvent({ type: 'ContactLifecycleStageChanged', payload: ContactLifecycleStageChangedPayload });
/** Read by campaigns before any message goes out: consent per channel and purpose. */
export const ContactConsentGiven = defineEvent({ type: 'ContactConsentGiven', payload: ContactConsentPayload });
export const ContactConsentWithdrawn = defineEvent({ type: 'ContactConsentWithdrawn', payload: ContactConsentPayload });

/** Read by every service whose read models count per customer (sales): merged contacts count as their survivor. */
/**
 * In each erased contact's stream: the person's data keys were destroyed, so every personal field
 * sealed under them reads as erased from now on. It carries nothing personal; every service whose
 * read models hold the person's values replaces them when it reads this. `group` is the contacts
 * erased together (a survivor and every contact merged into it: a merge says they are one person);
 * `leadIds` the leads converted into them, whose own keys were destroyed too.
 */
export class ContactErasedPayload extends ContactEventBase {
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(10000) @IsUUID(undefined, { each: true }) group!: string[];
  @IsArray() @ArrayMaxSize(10000) @IsUUID(undefined, { each: true }) leadIds!: string[];
  @IsISO8601() erasedAt!: string;
}

export const ContactMerged = defineEvent({ type: 'ContactMerged', payload: ContactMergedPayload });
export const ContactUnmerged = defineEvent({ type: 'ContactUnmerged', payload: ContactUnmergedPayload });
export const ContactDuplicateAbsorbed = defineEvent({ type: 'ContactDuplicateAbsorbed', payload: ContactDuplicateAbsorbedPayload });
export const ContactDuplicateReleased = defineEvent({ type: 'ContactDuplicateReleased', payload: ContactDuplicateAbsorbedPayload });
/** Read by every service that keeps a person's values in its read models. */
export const ContactErased = defineEvent({ type: 'ContactErased', payload: ContactErasedPayload });
/** What a service that maps merged contacts to their survivor needs in its catalogue. */
export const ContactMergeEventDefinitions = [ContactMerged, ContactUnmerged] as const;

export const ContactEventDefinitions = [
  ContactRegistered,
  ContactProfileChanged,
  ContactEmailAdded,
  ContactEmailRemoved,
  ContactPhoneAdded,
  ContactPhoneRemoved,
  ContactTagged,
  ContactUntagged,
  ContactIdentityLinked,
  ContactIdentityUnlinked,
  ContactLifecycleStageChanged,
  ContactConsentGiven,
  ContactConsentWithdrawn,
  ContactCustomFieldsChanged,
  ContactMerged,
  ContactUnmerged,
  ContactDuplicateAbsorbed,
  ContactDuplicateReleased,
  ContactErased,
] as const;

type Data<D> = D extends { payload: new () => infer P } ? Omit<P, never> : never;
/** Every contact event as a decider sees it: `{ type, data }`, a union discriminated by `type`. */
export type ContactEvent = {
  [K in (typeof ContactEventDefinitions)[number] as K['type']]: { type: K['type']; data: Data<K> };
}[(typeof ContactEventDefinitions)[number]['type']];
export type RecordedContactEvent = RecordedEventOf<(typeof ContactEventDefinitions)[number]>;
