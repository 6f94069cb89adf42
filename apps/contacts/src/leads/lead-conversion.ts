import { nameBasedUuid } from '@clientela/contracts';

/** Namespace of the contact and account ids a conversion derives from its lead (a fixed, random UUID). */
const CONVERSION_NAMESPACE = '9c4e2b7a-51d3-4f08-a6e1-3b8d0f2c7e95';

/**
 * The contact and account a lead converts into. Derived from the lead id, so a retried conversion
 * names the same ones, whoever retries it and however often.
 */
export const conversionIdsOf = (leadId: string): { contactId: string; accountId: string } => ({
  contactId: nameBasedUuid(`contact|${leadId.toLowerCase()}`, CONVERSION_NAMESPACE),
  accountId: nameBasedUuid(`account|${leadId.toLowerCase()}`, CONVERSION_NAMESPACE),
});

/** The idempotency keys of the registrations a conversion makes: a retry appends nothing to either stream. */
export const conversionKeysOf = (leadId: string) => ({
  contact: `lead-conversion|${leadId.toLowerCase()}|contact`,
  account: `lead-conversion|${leadId.toLowerCase()}|account`,
});
