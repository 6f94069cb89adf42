import { purchasesAsOfSql } from '../purchases/purchases.sql';
import { bandSql, tierSql, type LoyaltyRules } from './loyalty-rules';

/**
 * Each customer's loyalty as of the day `:asOf` in `:currency`: first and last purchase, purchase
 * days, net value of the 12 months up to the day, tenure (days since the first purchase), tier; and
 * churn risk (1 - P(alive)) with its band from the value model's predictions, sent as arrays
 * (`:ids`, `:alive`) since P(alive) is computed in TypeScript. Null risk: the model could not be fitted.
 */
export const loyaltySql = (rules: LoyaltyRules): string => `
  select l.*, ${tierSql(rules, 'l.rolling_value', 'l.tenure_days')} as tier, v.alive as probability_alive, 1 - v.alive as churn_risk, ${bandSql(rules, '(1 - v.alive)')} as churn_band
    from (select p.customer_id, min(p.placed_on) as first_purchase_on, max(p.placed_on) as last_purchase_on, count(distinct p.placed_on)::int as purchase_days,
                 coalesce(sum(p.net) filter (where p.placed_on > cast(:asOf as date) - interval '12 months'), 0) as rolling_value,
                 (cast(:asOf as date) - min(p.placed_on))::int as tenure_days
            from (${purchasesAsOfSql('asOf', 'currency')}) p group by p.customer_id) l
    left join unnest(cast(:ids as uuid[]), cast(:alive as float8[])) as v(customer_id, alive) using (customer_id)`;

/**
 * Cohort retention as of `:asOf`: customers grouped by the month of their first purchase; for each
 * month since, how many of them bought in it, and that share of the cohort (the table a retention
 * chart draws). `id` is cohort and month offset, for keyset pages in that order.
 */
export const cohortRetentionSql = `
  with p as (${purchasesAsOfSql('asOf', 'currency')}),
       firsts as (select customer_id, date_trunc('month', min(placed_on))::date as cohort from p group by customer_id),
       sizes as (select cohort, count(*)::int as size from firsts group by cohort),
       active as (select distinct customer_id, date_trunc('month', placed_on)::date as month from p)
  select to_char(f.cohort, 'YYYY-MM') || '+' || lpad(o.month_offset::text, 4, '0') as id, to_char(f.cohort, 'YYYY-MM') as cohort, s.size as cohort_size,
         o.month_offset, count(*)::int as customers, round(count(*)::numeric / s.size, 4) as retention
    from firsts f join active a using (customer_id) join sizes s using (cohort)
    cross join lateral (select ((extract(year from a.month) - extract(year from f.cohort)) * 12 + extract(month from a.month) - extract(month from f.cohort))::int as month_offset) o
   group by f.cohort, s.size, o.month_offset`;
