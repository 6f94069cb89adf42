import { schemaOf } from '@clientela/projections';
import { CUSTOMER_CONTACTS_PROJECTION } from '../customer-view/customer-contacts.projection';

/**
 * Who counts as whom after merges: `members` of the customer contacts projection maps each merged
 * contact to its survivor (chains already resolved by the contacts service; an unmerge deletes or moves
 * the rows). Nothing about a purchase is rewritten: every analysis maps its customer through this, so a
 * merge or an unmerge shows at once, as of any date (who a person is does not depend on `asOf`).
 */
export const MEMBERS_TABLE = `${schemaOf({ name: CUSTOMER_CONTACTS_PROJECTION })}.members`;

/** The SQL expression of the customer that the contact id `expression` counts as now. */
export const countsAsSql = (expression: string): string =>
  `coalesce((select m.survivor_id from ${MEMBERS_TABLE} m where m.contact_id = ${expression}), ${expression})`;

/**
 * One text that changes whenever who counts as whom changes (and comes back when the same state comes
 * back): caches of results computed over customers are keyed by it.
 */
export const membersFingerprintSql = `
  select count(*)::text || ':' || coalesce(sum(hashtextextended(m.contact_id::text || m.survivor_id::text, 0)), 0)::text as fingerprint
    from ${MEMBERS_TABLE} m`;
