import { schemaOf } from '@clientela/projections';
import { CUSTOMER_CONTACTS_PROJECTION } from '../customer-view/customer-contacts.projection';
import { MEMBERS_TABLE } from '../merges/merges.sql';
import { PURCHASES_PROJECTION } from './purchases.projection';

export const PURCHASES_SCHEMA = schemaOf({ name: PURCHASES_PROJECTION });

/** The read models `purchasesAsOfSql` reads (the purchases, and who counts as whom): what a read-your-writes answer over it waits for. */
export const PURCHASE_READ_MODELS = [PURCHASES_PROJECTION, CUSTOMER_CONTACTS_PROJECTION] as const;

/**
 * The purchases that count as of the day named by the TypeORM parameter `:<asOf>`, in the currency
 * `:<currency>`, each with its net amount: placed on or before the day, not cancelled by then, less
 * what was refunded on or before it. Columns customer_id, placed_on, net. RFM, the value model, loyalty
 * and acquisition all start from this, so they agree on what a purchase is and whose it is: the
 * customer is the survivor its contact counts as now (a merged duplicate's purchases are the survivor's).
 */
export const purchasesAsOfSql = (asOf: string, currency: string): string => `
  select coalesce(m.survivor_id, o.customer_id) as customer_id, o.placed_on, o.amount - coalesce(f.amount, 0) as net
    from ${PURCHASES_SCHEMA}.orders o
    left join ${MEMBERS_TABLE} m on m.contact_id = o.customer_id
    left join (select order_id, sum(amount) as amount from ${PURCHASES_SCHEMA}.refunds
                where refunded_on <= cast(:${asOf} as date) group by order_id) f on f.order_id = o.id
   where o.placed_on <= cast(:${asOf} as date) and o.currency = :${currency}
     and (o.cancelled_on is null or o.cancelled_on > cast(:${asOf} as date))`;
