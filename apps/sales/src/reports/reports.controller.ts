import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ReadYourWrites } from '@clientela/projections';
import { answerList, ApiProblems, ApiReadHeaders, csvStream } from '@clientela/service-kit';
import { DEALS_PROJECTION } from '../deals/deals.projection';
import { PIPELINES_PROJECTION } from '../pipelines/pipelines.projection';
import { SALES_TEAMS_PROJECTION } from '../teams/teams.projection';
import { ForecastReportQuery, PipelineReportQuery, QuotaAttainmentQuery, WinRateReportQuery } from './reports.dto';
import { ReportsQueries } from './reports.queries';

/** A report is one short list (a row per stage, period, owner or rep): JSON `{ items }`, or CSV with the same columns. */
const report = <Row extends object>(reply: FastifyReply, accept: string | undefined, name: string, rows: () => Promise<Row[]>) =>
  answerList(
    reply,
    accept,
    `${name}.csv`,
    async () => ({ items: await rows() }),
    async () => {
      const items = await rows();
      const header = items.length > 0 ? Object.keys(items[0]) : [];
      return csvStream(header, () => Promise.resolve({ items }), (row) => header.map((k) => (row as Record<string, unknown>)[k]));
    },
  );

@ApiTags('sales reports')
@Controller('api/v1/sales-reports')
export class ReportsController {
  constructor(private readonly queries: ReportsQueries) {}

  @Get('pipeline')
  @ReadYourWrites(DEALS_PROJECTION, PIPELINES_PROJECTION, SALES_TEAMS_PROJECTION)
  @ApiReadHeaders()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'open deals per pipeline, stage (in order) and currency: count, amount and weighted amount' })
  @ApiProblems(400, 503)
  pipeline(@Query() query: PipelineReportQuery, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    return report(reply, accept, 'pipeline', () => this.queries.pipeline(query));
  }

  @Get('forecast')
  @ReadYourWrites(DEALS_PROJECTION, SALES_TEAMS_PROJECTION)
  @ApiReadHeaders()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'per month or quarter and currency: open pipeline, won, weighted and commit forecast' })
  @ApiProblems(400, 503)
  forecast(@Query() query: ForecastReportQuery, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    return report(reply, accept, 'forecast', () => this.queries.forecast(query));
  }

  @Get('win-rates')
  @ReadYourWrites(DEALS_PROJECTION, SALES_TEAMS_PROJECTION)
  @ApiReadHeaders()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'per owner or team: deals won and lost, win rate and average sales cycle in days' })
  @ApiProblems(400, 503)
  winRates(@Query() query: WinRateReportQuery, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    return report(reply, accept, 'win-rates', () => this.queries.winRates(query));
  }

  @Get('quota-attainment')
  @ReadYourWrites(DEALS_PROJECTION, SALES_TEAMS_PROJECTION)
  @ApiReadHeaders()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'per rep with a quota for the period: quota, won and attainment' })
  @ApiProblems(400, 503)
  quotaAttainment(@Query() query: QuotaAttainmentQuery, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    return report(reply, accept, 'quota-attainment', () => this.queries.quotaAttainment(query));
  }
}
