import { purchasesAsOfSql } from '../purchases/purchases.sql';
import { segmentSql } from './rfm-segments';

/**
 * RFM of every customer with a purchase in `currency` on or before the date named by the TypeORM
 * parameter `:<asOf>` (amounts of different currencies are never added):
 * - recency: days from the last purchase day to the date;
 * - frequency: distinct purchase days;
 * - monetary: net revenue, the orders' amounts less what was refunded on or before the date
 *   (a won deal reopened after the date still counts);
 * - scores: min(5, 1 + floor(5 * percent_rank())) over ascending frequency, ascending monetary and
 *   descending recency days (ties share the lowest rank, as SQL defines it);
 * - segment: from R and F by the map of rfm-segments.ts.
 * Computed by PostgreSQL from the purchases read model on each request: exact, and as of any date.
 */
export const rfmSql = (asOf: string, currency: string): string => `
  with purchases as (${purchasesAsOfSql(asOf, currency)}
  ), customers as (
    select customer_id,
           (cast(:${asOf} as date) - max(placed_on)) as recency_days,
           count(distinct placed_on) as frequency,
           sum(net) as monetary,
           min(placed_on) as first_purchase_on,
           max(placed_on) as last_purchase_on
      from purchases group by customer_id
  ), scored as (
    select c.*,
           least(5, 1 + floor(5 * percent_rank() over (order by recency_days desc)))::int as recency_score,
           least(5, 1 + floor(5 * percent_rank() over (order by frequency)))::int as frequency_score,
           least(5, 1 + floor(5 * percent_rank() over (order by monetary)))::int as monetary_score
      from customers c
  )
  select s.*, ${segmentSql('s.recency_score', 's.frequency_score')} as segment from scored s`;
