import { schemaOf } from '@clientela/projections';
import { PURCHASES_PROJECTION } from './purchases.projection';

export const PURCHASES_SCHEMA = schemaOf({ name: PURCHASES_PROJECTION });

/**
 * The purchases that count as of the day named by the TypeORM parameter `:<asOf>`, in the currency
 * `:<currency>`, each with its net amount: placed on or before the day, not cancelled by then, less
 * what was refunded on or before it. Columns customer_id, placed_on, net. RFM and the value model both
 * start from this, so they agree on what a purchase is.
 */
export const purchasesAsOfSql = (asOf: string, currency: string): string => `
  select o.customer_id, o.placed_on, o.amount - coalesce(f.amount, 0) as net
    from ${PURCHASES_SCHEMA}.orders o
    left join (select order_id, sum(amount) as amount from ${PURCHASES_SCHEMA}.refunds
                where refunded_on <= cast(:${asOf} as date) group by order_id) f on f.order_id = o.id
   where o.placed_on <= cast(:${asOf} as date) and o.currency = :${currency}
     and (o.cancelled_on is null or o.cancelled_on > cast(:${asOf} as date))`;
