import { IsIn, IsUUID } from 'class-validator';
import { defineEvent } from '@clientela/contracts';

/**
 * A contact claims a normalised identifier (external id in its source, email, phone, or "has an
 * identity in source S"): appended to `identifier-<key>` at the stream's expected revision, in the
 * same atomic append that registers or links the contact, so two writers cannot both take an
 * identifier they each believed free. Only contacts reads it; the stream id is a hash, no personal data.
 */
export class IdentifierClaimedPayload {
  @IsUUID() contactId!: string;
  @IsUUID() customerId!: string;
}

export const DUPLICATE_REASONS = ['same_email', 'same_phone', 'conflicting_email', 'conflicting_phone', 'conflicting_external_id'] as const;
export type DuplicateReason = (typeof DUPLICATE_REASONS)[number];

/** Identity resolution met two contacts that are likely one person; nothing is merged. */
export class ContactDuplicateSuspectedPayload {
  /** The contact the message went to (or the newer one). */
  @IsUUID() contactId!: string;
  @IsUUID() otherContactId!: string;
  @IsIn(DUPLICATE_REASONS) reason!: DuplicateReason;
}

export const IdentifierClaimed = defineEvent({ type: 'IdentifierClaimed', payload: IdentifierClaimedPayload });
export const ContactDuplicateSuspected = defineEvent({ type: 'ContactDuplicateSuspected', payload: ContactDuplicateSuspectedPayload });
export const IngestEventDefinitions = [IdentifierClaimed, ContactDuplicateSuspected] as const;
