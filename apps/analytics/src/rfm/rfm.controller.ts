import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ReadYourWrites } from '@clientela/projections';
import { answerList, ApiProblems, ApiReadHeaders } from '@clientela/service-kit';
import { PURCHASE_READ_MODELS } from '../purchases/purchases.sql';
import { AsOfQuery, ListMovementsQuery, ListRfmQuery, MovementSummaryQuery } from './rfm.dto';
import { RfmQueries, todayUtc } from './rfm.queries';

@ApiTags('analytics')
@Controller('api/v1/analytics')
export class RfmController {
  constructor(private readonly queries: RfmQueries) {}

  @Get('rfm')
  @ReadYourWrites(...PURCHASE_READ_MODELS)
  @ApiReadHeaders()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'a page of customers with recency (days), frequency (purchase days), monetary (net revenue), their three scores and segment as of `asOf`; with Accept: text/csv the whole filtered list' })
  @ApiProblems(400, 503)
  list(@Query() query: ListRfmQuery, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    const asOf = query.asOf ?? todayUtc(new Date());
    return answerList(reply, accept, `rfm-${asOf}.csv`, () => this.queries.list(query, asOf), () => this.queries.csv(query, asOf));
  }

  @Get('segments')
  @ReadYourWrites(...PURCHASE_READ_MODELS)
  @ApiReadHeaders()
  @ApiOkResponse({ description: 'every RFM segment with its number of customers, share, net revenue and averages as of `asOf`' })
  @ApiProblems(400, 503)
  segments(@Query() query: AsOfQuery) {
    return this.queries.segments(query.asOf ?? todayUtc(new Date()), query.currency);
  }

  @Get('segment-movements')
  @ReadYourWrites(...PURCHASE_READ_MODELS)
  @ApiReadHeaders()
  @ApiOkResponse({ description: 'how many customers moved from which segment on `from` to which on `to` (fromSegment null: no purchase yet on `from`)' })
  @ApiProblems(400, 503)
  movementSummary(@Query() query: MovementSummaryQuery) {
    return this.queries.movementSummary(query);
  }

  @Get('segment-movements/customers')
  @ReadYourWrites(...PURCHASE_READ_MODELS)
  @ApiReadHeaders()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'who moved: each customer with its segment on `from` and on `to`; with Accept: text/csv the whole filtered list' })
  @ApiProblems(400, 503)
  movements(@Query() query: ListMovementsQuery, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    return answerList(reply, accept, `segment-movements-${query.from}-${query.to}.csv`, () => this.queries.movementList(query), () => this.queries.movementCsv(query));
  }
}
