import { LIFECYCLE_STAGES } from '@clientela/contracts';
import { schemaOf } from '@clientela/projections';
import { CUSTOMER_CONTACTS_PROJECTION } from '../customer-view/customer-contacts.projection';
import { countsAsSql, MEMBERS_TABLE } from '../merges/merges.sql';
import { purchasesAsOfSql } from '../purchases/purchases.sql';

const C = schemaOf({ name: CUSTOMER_CONTACTS_PROJECTION });

/** The funnel's stages in order; `churned` sits apart (counted on its own). */
export const FUNNEL_STAGES = LIFECYCLE_STAGES.filter((s) => s !== 'churned');
export const FUNNEL_PERIODS = ['day', 'week', 'month', 'quarter', 'year'] as const;

/** A contact's source: the first lead it was converted from, else `direct`. Merged contacts count as their survivor, so they are left out. */
const contactSourcesSql = `
  select p.customer_id, p.registered_at, coalesce(s.source, 'direct') as source, s.campaign_id
    from ${C}.profiles p
    left join (select distinct on (customer_id) customer_id, source, campaign_id from ${C}.leads where customer_id is not null order by customer_id, captured_at, lead_id) s using (customer_id)
   where not exists (select 1 from ${MEMBERS_TABLE} m where m.contact_id = p.customer_id)`;

/**
 * The lifecycle funnel of the contacts registered in [`:from`, `:to`), per period of registration
 * (`:period`, a date_trunc unit) and source: how many reached each stage or a later one (stages as
 * the contacts service records them, ever entered), and how many churned. `reached` is an array in
 * FUNNEL_STAGES order; `id` (period and source) orders the keyset pages.
 */
export const funnelSql = `
  with cohort as (select c.customer_id, date_trunc(:period, c.registered_at at time zone 'UTC')::date as period, c.source
                    from (${contactSourcesSql}) c where c.registered_at >= cast(:from as date) and c.registered_at < cast(:to as date)),
       tops as (select c.period, c.source, c.customer_id,
                       max(array_position(cast(:stages as text[]), st.stage)) as top, bool_or(st.stage = 'churned') as churned
                  from cohort c left join ${C}.stages st on st.customer_id = c.customer_id group by c.period, c.source, c.customer_id)
  select to_char(t.period, 'YYYY-MM-DD') || '|' || t.source as id, to_char(t.period, 'YYYY-MM-DD') as period, t.source, count(*)::int as contacts,
         array[${FUNNEL_STAGES.map((_, i) => `count(*) filter (where t.top >= ${i + 1})::int`).join(', ')}] as reached,
         count(*) filter (where t.churned)::int as churned
    from tops t group by t.period, t.source`;

export const ACQUISITION_GROUPS = ['source', 'campaign'] as const;

/**
 * Leads captured in [`:from`, `:to`) grouped by source or campaign (`none` without one): how many,
 * their acquisition cost in `:currency` and per lead, qualified and converted counts, the customers
 * they became (a converted lead whose contact bought by `:asOf`; a contact merged since counts as its
 * survivor, so two leads of one person are one customer), lead-to-customer conversion, and those
 * customers' net revenue as of `:asOf` with the return on the cost.
 */
export const acquisitionSql = (group: (typeof ACQUISITION_GROUPS)[number]): string => `
  with l as (select ${group === 'source' ? 'l.source' : "coalesce(l.campaign_id::text, 'none')"} as key, l.status, l.cost_amount, l.cost_currency,
                    ${countsAsSql('l.customer_id')} as customer_id
               from ${C}.leads l where l.captured_at >= cast(:from as date) and l.captured_at < cast(:to as date)),
       revenue as (select p.customer_id, sum(p.net) as net from (${purchasesAsOfSql('asOf', 'currency')}) p
                    where p.customer_id in (select customer_id from l where customer_id is not null) group by p.customer_id),
       groups as (select l.key, count(*)::int as leads, count(*) filter (where l.status in ('qualified', 'converted'))::int as qualified,
                         count(l.customer_id)::int as converted, count(distinct r.customer_id)::int as customers,
                         coalesce(sum(l.cost_amount) filter (where l.cost_currency = :currency), 0) as cost
                    from l left join revenue r on r.customer_id = l.customer_id group by l.key),
       revenues as (select x.key, coalesce(sum(r.net), 0) as revenue
                      from (select distinct key, customer_id from l where customer_id is not null) x join revenue r using (customer_id) group by x.key)
  select g.key, g.leads, g.qualified, g.converted, g.customers, g.cost, trim_scale(round(g.cost / g.leads, 4)) as cost_per_lead,
         round(g.customers::numeric / g.leads, 4) as conversion, coalesce(v.revenue, 0) as revenue,
         case when g.cost = 0 then null else round((coalesce(v.revenue, 0) - g.cost) / g.cost, 4) end as roi
    from groups g left join revenues v using (key)`;
