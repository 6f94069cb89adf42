import { Body, Controller, Get, Headers, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DomainRuleError } from '@clientela/contracts';
import { ReadYourWrites } from '@clientela/projections';
import { answerList, ApiProblems, ApiReadHeaders } from '@clientela/service-kit';
import { PURCHASE_READ_MODELS } from '../purchases/purchases.sql';
import { DEFAULT_CURRENCY } from '../rfm/rfm.dto';
import { todayUtc } from '../rfm/rfm.queries';
import { CohortRetentionQuery, ListLoyaltyQuery, LoyaltyAsOfQuery, PublishLoyaltyChangesBody } from './loyalty.dto';
import { LoyaltyChangesService } from './loyalty-changes.service';
import { LOYALTY_PROJECTION } from './loyalty.projection';
import { LoyaltyQueries } from './loyalty.queries';

@ApiTags('analytics')
@Controller('api/v1/analytics')
export class LoyaltyController {
  constructor(
    private readonly queries: LoyaltyQueries,
    private readonly changes: LoyaltyChangesService,
  ) {}

  @Get('loyalty')
  @ReadYourWrites(...PURCHASE_READ_MODELS)
  @ApiReadHeaders()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'every customer with a purchase by `asOf`: tier (12-month net value and tenure), purchase days, P(alive), churn risk and band; with Accept: text/csv the whole filtered list' })
  @ApiProblems(400, 503)
  list(@Query() query: ListLoyaltyQuery, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    const asOf = query.asOf ?? todayUtc(new Date());
    return answerList(reply, accept, `loyalty-${asOf}.csv`, () => this.queries.list(query, asOf), () => this.queries.csv(query, asOf));
  }

  @Get('loyalty/summary')
  @ReadYourWrites(...PURCHASE_READ_MODELS)
  @ApiReadHeaders()
  @ApiOkResponse({ description: 'customers per tier and per churn band, and the repeat purchase rate, as of `asOf`' })
  @ApiProblems(400, 503)
  summary(@Query() query: LoyaltyAsOfQuery) {
    return this.queries.summary(query.asOf ?? todayUtc(new Date()), query.currency ?? DEFAULT_CURRENCY);
  }

  @Get('cohort-retention')
  @ReadYourWrites(...PURCHASE_READ_MODELS)
  @ApiReadHeaders()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'per cohort (month of first purchase) and month since: customers who bought, and their share of the cohort; with Accept: text/csv the whole table' })
  @ApiProblems(400, 503)
  cohorts(@Query() query: CohortRetentionQuery, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    const asOf = query.asOf ?? todayUtc(new Date());
    return answerList(reply, accept, `cohort-retention-${asOf}.csv`, () => this.queries.cohorts(query, asOf), () => this.queries.cohortsCsv(query, asOf));
  }

  // The service runs this once a day by itself (yesterday's loyalty); the route is for backfills and operators.
  @Post('loyalty-changes')
  @HttpCode(200)
  @ReadYourWrites(...PURCHASE_READ_MODELS, LOYALTY_PROJECTION)
  @ApiReadHeaders()
  @ApiOkResponse({ description: 'publishes CustomerLoyaltyTierChanged and CustomerChurnBandChanged for every customer whose tier or band on `asOf` is not the one last published; answers how many, and X-Position' })
  @ApiProblems(400, 409, 422, 503)
  async publish(@Body() body: PublishLoyaltyChangesBody, @Res({ passthrough: true }) reply: FastifyReply) {
    const now = new Date();
    const asOf = body.asOf ?? todayUtc(new Date(now.getTime() - 86_400_000));
    if (asOf > todayUtc(now)) throw new DomainRuleError(`asOf ${asOf} is in the future: loyalty changes are published for days that have begun`, 'future_day');
    const run = await this.changes.publish(asOf, body.currency ?? DEFAULT_CURRENCY);
    if (run.position) reply.header('x-position', run.position);
    return run;
  }
}
