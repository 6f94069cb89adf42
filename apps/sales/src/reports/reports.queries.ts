import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { ForecastReportQuery, PipelineReportQuery, QuotaAttainmentQuery, WinRateReportQuery } from './reports.dto';

// Every figure is computed by PostgreSQL in numeric, and amounts of different currencies are never
// added: each row is one currency. trim_scale drops trailing zeros (`600.0000` -> `600`).

export interface PipelineStageFigures {
  pipelineId: string;
  pipelineName: string | null;
  stageId: string;
  stageName: string | null;
  /** The stage's place in its pipeline, 1-based. */
  stageOrder: number | null;
  currency: string;
  count: number;
  amount: string;
  /** Σ amount x probability / 100 of the open deals in the stage. */
  weightedAmount: string;
}

export interface ForecastFigures {
  period: string;
  currency: string;
  openCount: number;
  /** Open deals expected to close in the period. */
  pipeline: string;
  /** Deals won in the period. */
  won: string;
  /** won + Σ open amount x probability / 100. */
  weighted: string;
  /** won + the open deals at a probability of at least COMMIT_PROBABILITY. */
  commit: string;
}

export interface WinRateFigures {
  /** The owner's or the team's id; null for deals without one. */
  id: string | null;
  name: string | null;
  won: number;
  lost: number;
  /** won / (won + lost), to 4 decimals; null without closed deals. */
  winRate: string | null;
  /** Mean days from opened to won, to 2 decimals; null without won deals. */
  averageSalesCycleDays: string | null;
}

export interface QuotaAttainmentFigures {
  repId: string;
  repName: string;
  teamId: string | null;
  period: string;
  currency: string;
  quota: string;
  /** Won deals of the rep in the quota's currency, closed in the period. */
  won: string;
  /** won / quota, to 4 decimals; null for a quota of 0. */
  attainment: string | null;
}

/** A deal at this probability or above counts in the commit forecast. */
export const COMMIT_PROBABILITY = 90;

const PERIOD_FORMAT = { month: 'YYYY-MM', quarter: 'YYYY-"Q"Q' } as const;

/** Appends `and <sql>` with its parameter when the value is given. */
class Where {
  readonly clauses: string[] = [];
  readonly params: unknown[] = [];
  add(value: unknown, clause: (placeholder: string) => string): this {
    if (value === undefined) return this;
    this.params.push(value);
    this.clauses.push(clause(`$${this.params.length}`));
    return this;
  }
  sql(): string {
    return this.clauses.map((c) => ` and ${c}`).join('');
  }
}

const dealFilters = (query: { pipeline?: string; owner?: string; team?: string; currency?: string }) =>
  new Where()
    .add(query.pipeline, (p) => `d.pipeline_id = ${p}`)
    .add(query.owner, (p) => `d.owner_id = ${p}`)
    .add(query.team, (p) => `r.team_id = ${p}`)
    .add(query.currency, (p) => `d.currency = ${p}`);

@Injectable()
export class ReportsQueries {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Open deals by pipeline and stage, stages in their pipeline's order. */
  async pipeline(query: PipelineReportQuery): Promise<PipelineStageFigures[]> {
    const where = dealFilters(query);
    const rows = await this.db.query<Array<Omit<PipelineStageFigures, 'stageOrder'> & { stageOrder: string | null }>>(
      `select d.pipeline_id as "pipelineId", p.name as "pipelineName", d.stage_id as "stageId", s.stage->>'name' as "stageName",
              s.ord as "stageOrder", d.currency, count(*)::int as count,
              trim_scale(sum(d.amount))::text as amount,
              trim_scale(round(sum(d.amount * d.probability) / 100, 4))::text as "weightedAmount"
         from proj_deals.deals d
         left join proj_pipelines.pipelines p on p.id = d.pipeline_id
         left join lateral (select x.stage, x.ord from jsonb_array_elements(p.stages) with ordinality as x(stage, ord) where x.stage->>'stageId' = d.stage_id) s on true
         left join proj_sales_teams.reps r on r.id = d.owner_id
        where d.status = 'open'${where.sql()}
        group by d.pipeline_id, p.name, d.stage_id, s.stage->>'name', s.ord, d.currency
        order by p.name, d.pipeline_id, s.ord nulls last, d.stage_id, d.currency`,
      where.params,
    );
    return rows.map((r) => ({ ...r, stageOrder: r.stageOrder === null ? null : Number(r.stageOrder) }));
  }

  /** Per period: open deals by expected close date, won deals by the day they were won (UTC). */
  forecast(query: ForecastReportQuery): Promise<ForecastFigures[]> {
    const where = dealFilters(query);
    where.params.push(PERIOD_FORMAT[query.by ?? 'quarter'], COMMIT_PROBABILITY);
    const format = `$${where.params.length - 1}`;
    const commit = `$${where.params.length}`;
    return this.db.query<ForecastFigures[]>(
      `select period, currency,
              (count(*) filter (where status = 'open'))::int as "openCount",
              trim_scale(coalesce(sum(amount) filter (where status = 'open'), 0))::text as pipeline,
              trim_scale(coalesce(sum(amount) filter (where status = 'won'), 0))::text as won,
              trim_scale(round(coalesce(sum(amount) filter (where status = 'won'), 0) + coalesce(sum(amount * probability) filter (where status = 'open'), 0) / 100, 4))::text as weighted,
              trim_scale(coalesce(sum(amount) filter (where status = 'won' or probability >= ${commit}), 0))::text as commit
         from (select d.amount, d.probability, d.status, d.currency,
                      to_char(case when d.status = 'won' then (d.closed_at at time zone 'UTC')::date else d.expected_close_date end, ${format}) as period
                 from proj_deals.deals d
                 left join proj_sales_teams.reps r on r.id = d.owner_id
                where d.status <> 'lost'${where.sql()}) f
        where period is not null
        group by period, currency
        order by period, currency`,
      where.params,
    );
  }

  /** Closed deals per owner or team: how many were won and lost, and how long the won ones took. */
  winRates(query: WinRateReportQuery): Promise<WinRateFigures[]> {
    const where = new Where()
      .add(query.pipeline, (p) => `d.pipeline_id = ${p}`)
      .add(query.closedFrom, (p) => `d.closed_at >= ${p}`)
      .add(query.closedTo, (p) => `d.closed_at < ${p}`);
    const [id, name, join] =
      query.by === 'team'
        ? ['r.team_id', 't.name', 'left join proj_sales_teams.teams t on t.id = r.team_id']
        : ['d.owner_id', 'r.name', ''];
    return this.db.query<WinRateFigures[]>(
      `select ${id} as id, ${name} as name,
              (count(*) filter (where d.status = 'won'))::int as won,
              (count(*) filter (where d.status = 'lost'))::int as lost,
              trim_scale(round((count(*) filter (where d.status = 'won'))::numeric / nullif(count(*), 0), 4))::text as "winRate",
              trim_scale(round((avg(extract(epoch from d.closed_at - d.opened_at)) filter (where d.status = 'won')) / 86400, 2))::text as "averageSalesCycleDays"
         from proj_deals.deals d
         left join proj_sales_teams.reps r on r.id = d.owner_id
         ${join}
        where d.status in ('won', 'lost')${where.sql()}
        group by ${id}, ${name}
        order by ${name} nulls last, ${id}`,
      where.params,
    );
  }

  /** Each rep with a quota for the period: what they won in its currency against it. */
  quotaAttainment(query: QuotaAttainmentQuery): Promise<QuotaAttainmentFigures[]> {
    const where = new Where().add(query.period, (p) => `q.period = ${p}`).add(query.team, (p) => `r.team_id = ${p}`);
    return this.db.query<QuotaAttainmentFigures[]>(
      `select q.rep_id as "repId", r.name as "repName", r.team_id as "teamId", q.period, q.currency,
              trim_scale(q.amount)::text as quota,
              trim_scale(coalesce(sum(d.amount), 0))::text as won,
              trim_scale(round(coalesce(sum(d.amount), 0) / nullif(q.amount, 0), 4))::text as attainment
         from proj_sales_teams.quotas q
         join proj_sales_teams.reps r on r.id = q.rep_id
         left join proj_deals.deals d
           on d.owner_id = q.rep_id and d.status = 'won' and d.currency = q.currency
          and to_char((d.closed_at at time zone 'UTC')::date, case when q.period like '%Q%' then 'YYYY-"Q"Q' else 'YYYY-MM' end) = q.period
        where true${where.sql()}
        group by q.rep_id, r.name, r.name_key, r.team_id, q.period, q.currency, q.amount
        order by r.name_key, q.rep_id`,
      where.params,
    );
  }
}
