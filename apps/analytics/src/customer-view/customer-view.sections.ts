import { DEFAULT_REGISTRY_SCHEMA, schemaOf } from '@clientela/projections';
import { countsAsSql, MEMBERS_TABLE } from '../merges/merges.sql';
import { PURCHASES_PROJECTION } from '../purchases/purchases.projection';
import { LOYALTY_PROJECTION } from '../loyalty/loyalty.projection';
import { SEGMENTS_PROJECTION } from '../segment-changes/segments.projection';
import { CUSTOMER_CONTACTS_PROJECTION } from './customer-contacts.projection';
import { CUSTOMER_DEALS_PROJECTION } from './customer-deals.projection';

const C = schemaOf({ name: CUSTOMER_CONTACTS_PROJECTION });
const D = schemaOf({ name: CUSTOMER_DEALS_PROJECTION });
const P = schemaOf({ name: PURCHASES_PROJECTION });
const S = schemaOf({ name: SEGMENTS_PROJECTION });
const L = schemaOf({ name: LOYALTY_PROJECTION });

/**
 * The contacts a customer id stands for, as the merge design reads them (nothing rewritten): `target`
 * is the survivor the id counts as now (itself when not merged), `ids` the survivor (rank 0) and every
 * contact merged into it (rank 1). `id` is the placeholder of the id asked for.
 */
export const targetSql = (id: string): string => `select ${countsAsSql(`cast(${id} as uuid)`)} as id`;
export const idsSql = `select t.id, 0 as rank from target t union all select m.contact_id, 1 from ${MEMBERS_TABLE} m join target t on m.survivor_id = t.id`;
const customerIdsSql = (id: string): string => `target as (${targetSql(id)}), ids as (${idsSql})`;

/**
 * One section of the single customer view: a JSON value computed over `ids` (and `$2`, the currency of
 * the scores). Each context adds its sections here and its projection beside it; a context whose
 * events do not exist yet has its section answer empty (`pending`) until its projection lands.
 */
export interface CustomerViewSection {
  name: string;
  /** A scalar subquery returning json. */
  sql: string;
}

export const CUSTOMER_VIEW_SECTIONS: readonly CustomerViewSection[] = [
  {
    // The survivor's own profile (a merged contact's only when the survivor has none).
    name: 'profile',
    sql: `(select json_build_object('givenName', p.given_name, 'familyName', p.family_name, 'language', p.language, 'preferredChannel', p.preferred_channel,
                                   'address', p.address, 'accountId', p.account_id, 'ownerId', p.owner_id, 'lifecycleStage', p.lifecycle_stage,
                                   'registeredAt', p.registered_at, 'updatedAt', p.updated_at)
             from ${C}.profiles p join ids on ids.id = p.customer_id order by ids.rank, p.customer_id limit 1)`,
  },
  {
    name: 'identities',
    sql: `(select coalesce(json_agg(json_build_object('kind', x.kind, 'source', nullif(x.source, ''), 'value', x.value) order by x.kind, x.source, x.value), '[]')
             from (select distinct i.kind, i.source, i.value from ${C}.identities i join ids on ids.id = i.customer_id) x)`,
  },
  {
    // Per channel and purpose, the survivor's own answer wins, as in the contacts service's merged view.
    name: 'consents',
    sql: `(select coalesce(json_agg(json_build_object('channel', x.channel, 'purpose', x.purpose, 'granted', x.granted, 'source', x.source, 'at', x.at) order by x.channel, x.purpose), '[]')
             from (select distinct on (c.channel, c.purpose) c.* from ${C}.consents c join ids on ids.id = c.customer_id order by c.channel, c.purpose, ids.rank, c.at desc) x)`,
  },
  {
    // Net revenue as RFM counts it: orders not cancelled, less their refunds; one entry per currency.
    name: 'orders',
    sql: `(select coalesce(json_agg(json_build_object('currency', x.currency, 'orderCount', x.n, 'firstPurchaseAt', x.first_at, 'lastPurchaseAt', x.last_at,
                                                      'gross', x.gross::text, 'refunded', x.refunded::text, 'netRevenue', (x.gross - x.refunded)::text) order by x.currency), '[]')
             from (select o.currency, count(*)::int as n, min(o.placed_at) as first_at, max(o.placed_at) as last_at, sum(o.amount) as gross, coalesce(sum(f.amount), 0) as refunded
                     from ${P}.orders o join ids on ids.id = o.customer_id
                     left join (select r.order_id, sum(r.amount) as amount from ${P}.refunds r join ids on ids.id = r.customer_id group by r.order_id) f on f.order_id = o.id
                    where o.cancelled_on is null group by o.currency) x)`,
  },
  {
    name: 'openDeals',
    sql: `(select coalesce(json_agg(json_build_object('dealId', d.deal_id, 'name', d.name, 'pipelineId', d.pipeline_id, 'stageId', d.stage_id, 'probability', d.probability,
                                                      'amount', d.amount::text, 'currency', d.currency, 'ownerId', d.owner_id, 'expectedCloseDate', d.expected_close_date,
                                                      'openedAt', d.opened_at) order by d.opened_at, d.deal_id), '[]')
             from ${D}.deals d join ids on ids.id = d.customer_id where d.status = 'open')`,
  },
  {
    name: 'dealCounts',
    sql: `(select json_build_object('open', count(*) filter (where d.status = 'open'), 'won', count(*) filter (where d.status = 'won'), 'lost', count(*) filter (where d.status = 'lost'))
             from ${D}.deals d join ids on ids.id = d.customer_id)`,
  },
  {
    // The lead history: the leads the customer (or a contact merged into it) was converted from.
    name: 'leads',
    sql: `(select coalesce(json_agg(json_build_object('leadId', l.lead_id, 'source', l.source, 'campaignId', l.campaign_id, 'status', l.status, 'score', l.score,
                                                      'acquisitionCost', case when l.cost_amount is null then null else json_build_object('amount', l.cost_amount::text, 'currency', l.cost_currency) end,
                                                      'capturedAt', l.captured_at, 'convertedAt', l.converted_at) order by l.captured_at, l.lead_id), '[]')
             from ${C}.leads l join ids on ids.id = l.customer_id)`,
  },
  {
    // The latest of the customer's contacts per channel; commerce is the last order placed.
    name: 'lastInteractions',
    sql: `(select coalesce(json_object_agg(x.channel, x.last_at order by x.channel), '{}')
             from (select y.channel, max(y.last_at) as last_at
                     from (select i.channel, i.last_at from ${C}.interactions i join ids on ids.id = i.customer_id
                           union all select i.channel, i.last_at from ${D}.interactions i join ids on ids.id = i.customer_id
                           union all select 'commerce', max(o.placed_at) from ${P}.orders o join ids on ids.id = o.customer_id) y
                    where y.last_at is not null group by y.channel) x)`,
  },
  {
    // Scores are per contact as published (the survivor's own first), in the currency asked for.
    name: 'scores',
    sql: `(select json_build_object(
              'segment', (select json_build_object('segment', s.segment, 'asOf', s.as_of) from ${S}.current_segments s join ids on ids.id = s.customer_id where s.currency = $2 order by ids.rank limit 1),
              'loyalty', (select json_build_object('tier', l.tier, 'tierAsOf', l.tier_as_of, 'rollingValue', l.rolling_value::text, 'tenureDays', l.tenure_days,
                                                   'churnBand', l.churn_band, 'churnRisk', l.churn_risk, 'probabilityAlive', 1 - l.churn_risk, 'bandAsOf', l.band_as_of)
                            from ${L}.current_loyalty l join ids on ids.id = l.customer_id where l.currency = $2 order by ids.rank limit 1)))`,
  },
];

/** Sections of contexts not built yet (campaigns, contact center): answered empty until their projections add them above. */
export const PENDING_SECTIONS = { campaignEngagement: [], openCases: [], satisfaction: null } as const;

/** The sections in one row (`v`): key lookups of every section over the customer's contacts. */
const sectionsSql = `
  select (select id from target) as "customerId",
         (select coalesce(json_agg(id order by id), '[]') from ids where rank = 1) as "mergedContacts",
         ${CUSTOMER_VIEW_SECTIONS.map((s) => `${s.sql} as "${s.name}"`).join(',\n         ')}`;

/** Whether any section knows the customer: else the id names nobody the platform has seen (404). */
const knownSql = `not (v.profile is null and json_array_length(v.orders) = 0 and json_array_length(v.leads) = 0 and v."lastInteractions"::text = '{}'
                   and (v."dealCounts"->>'open')::int + (v."dealCounts"->>'won')::int + (v."dealCounts"->>'lost')::int = 0
                   and json_typeof(v.scores->'segment') = 'null' and json_typeof(v.scores->'loyalty') = 'null')`;

/**
 * The answer's fields in the answer's order; `requestedId` (the id asked for) only when it is not the
 * survivor's. Historic CLV: net revenue to date in the currency asked for (margin 1;
 * /analytics/customer-value/:id for another margin and the predicted value).
 */
const answerSql = (withRequestedId: boolean): string => `json_build_object(
    'customerId', v."customerId",${withRequestedId ? ` 'requestedId', cast($1 as text),` : ''}
    'mergedContacts', v."mergedContacts", 'profile', v.profile, 'lifecycleStage', v.profile->'lifecycleStage', 'ownerId', v.profile->'ownerId',
    'identities', v.identities, 'consents', v.consents, 'orders', v.orders, 'openDeals', v."openDeals", 'dealCounts', v."dealCounts", 'leads', v.leads,
    'lastInteractions', v."lastInteractions",
    'scores', json_build_object('currency', cast($2 as text), 'segment', v.scores->'segment', 'loyalty', v.scores->'loyalty',
                                'historicValue', coalesce((select o->>'netRevenue' from json_array_elements(v.orders) o where o->>'currency' = cast($2 as text)), '0')),
    ${Object.entries(PENDING_SECTIONS).map(([name, value]) => `'${name}', '${JSON.stringify(value)}'::json`).join(', ')})`;

/**
 * The projections the view (and the timeline) reads, each with its per-contact counter of changes to
 * what the view shows (no row reads as -1: a stream's first event is revision 0).
 */
const VIEW_PROJECTIONS = [
  { name: CUSTOMER_CONTACTS_PROJECTION, counter: `${C}.customer_changes`, column: 'changes' },
  { name: CUSTOMER_DEALS_PROJECTION, counter: `${D}.customer_changes`, column: 'changes' },
  { name: PURCHASES_PROJECTION, counter: `${P}.customer_changes`, column: 'changes' },
  { name: SEGMENTS_PROJECTION, counter: `${S}.segment_streams`, column: 'revision' },
  { name: LOYALTY_PROJECTION, counter: `${L}.loyalty_streams`, column: 'revision' },
] as const;

/** What a read-your-writes request for the view or the timeline waits for. */
export const CUSTOMER_VIEW_PROJECTIONS: readonly string[] = VIEW_PROJECTIONS.map((p) => p.name);

/**
 * What the view's answer was built from, as one text: the generation of each projection's copy (a
 * rebuild swaps in another), then each of the customer's contacts (the survivor and those merged into
 * it) with its change counter in each projection. Every event that changes what the view shows moves
 * one of them in the transaction that applies it, so an answer cached with its stamp is current while
 * a stamp read later is the same: a handful of key lookups instead of the view's fifteen sections.
 */
const stampSql = `
  select (select string_agg(s.generation::text, '.' order by s.name) from ${DEFAULT_REGISTRY_SCHEMA}.state s
           where s.name in (${VIEW_PROJECTIONS.map((p) => `'${p.name}'`).join(', ')}))
         || '|' ||
         (select string_agg(ids.id::text || ${VIEW_PROJECTIONS.map((p, i) => `':' || coalesce(c${i}.${p.column}, -1)`).join(' || ')}, ',' order by ids.id)
            from ids ${VIEW_PROJECTIONS.map((p, i) => `left join ${p.counter} c${i} on c${i}.customer_id = ids.id`).join(' ')}) as stamp`;

/**
 * The stamp alone, for a service that holds an answer: a statement of its own, since PostgreSQL sets up
 * every node of a plan at each execution, sections that would not run included (a CASE that skipped
 * them in the view's statement still cost 60 % of building the answer).
 */
export const customerViewStampSql = `with ${customerIdsSql('$1')} ${stampSql}`;

/**
 * The single customer view in one statement: the JSON text of the answer (null for an unknown id),
 * which the service sends as it is, with no parse and serialisation of its own, and its stamp, read in
 * the same snapshot. `v` is materialized: inlined, each use of a section would run its subquery again.
 */
const viewSql = (stamp: string): string => `
  with ${customerIdsSql('$1')}, v as materialized (${sectionsSql})
  select ${stamp} as stamp,
         case when not ${knownSql} then null
              when v."customerId"::text = cast($1 as text) then ${answerSql(false)}::text
              else ${answerSql(true)}::text end as answer
    from v`;
export const customerViewSql = viewSql(`(${stampSql})`);

/**
 * The view without its stamp, for while a copy the view reads predates the change counters: a
 * version's rebuild keeps the old copy serving until its swap.
 */
export const customerViewUnstampedSql = viewSql('null::text');

/**
 * Where the timeline's events are: each context's projection keeps a `timeline` table; ingested
 * orders and refunds are read from the purchases read model, which has a row per event already.
 * A new context adds its projection's table here.
 */
const TIMELINE_COLUMNS = 'event_id, type, channel, occurred_at, position, data';
export const timelineSql = `
  select ${TIMELINE_COLUMNS} from ${C}.timeline
   where customer_id in (select id from ids) or lead_id in (select l.lead_id from ${C}.leads l join ids on ids.id = l.customer_id)
  union all select ${TIMELINE_COLUMNS} from ${D}.timeline where customer_id in (select id from ids)
  union all select ${TIMELINE_COLUMNS} from ${S}.timeline where customer_id in (select id from ids)
  union all select ${TIMELINE_COLUMNS} from ${L}.timeline where customer_id in (select id from ids)
  union all
  select o.event_id, 'CustomerOrderPlaced', 'commerce', o.placed_at, o.position,
         jsonb_build_object('customerId', o.customer_id, 'source', o.source, 'orderId', o.source_order_id, 'amount', o.amount::text, 'currency', o.currency, 'occurredAt', o.placed_at)
    from ${P}.orders o where o.customer_id in (select id from ids) and o.source <> 'deal'
  union all
  select r.id, 'CustomerOrderRefunded', 'commerce', r.refunded_at, r.position,
         jsonb_build_object('customerId', r.customer_id, 'orderId', r.source_order_id, 'amount', r.amount::text, 'currency', r.currency, 'occurredAt', r.refunded_at)
    from ${P}.refunds r where r.customer_id in (select id from ids)`;
