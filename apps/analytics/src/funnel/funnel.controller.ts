import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ReadYourWrites } from '@clientela/projections';
import { answerList, ApiProblems, ApiReadHeaders } from '@clientela/service-kit';
import { CUSTOMER_CONTACTS_PROJECTION } from '../customer-view/customer-contacts.projection';
import { PURCHASE_READ_MODELS } from '../purchases/purchases.sql';
import { AcquisitionQuery, FunnelQuery } from './funnel.dto';
import { FunnelQueries } from './funnel.queries';

@ApiTags('analytics')
@Controller('api/v1/analytics')
export class FunnelController {
  constructor(private readonly queries: FunnelQueries) {}

  @Get('funnel')
  @ReadYourWrites(CUSTOMER_CONTACTS_PROJECTION)
  @ApiReadHeaders()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'contacts registered in [from, to) per period and source (lead source, or direct): how many reached each lifecycle stage or a later one, the conversion from the stage before, and how many churned' })
  @ApiProblems(400, 503)
  funnel(@Query() query: FunnelQuery, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    return answerList(reply, accept, `funnel-${query.from}-${query.to}.csv`, () => this.queries.funnel(query), () => this.queries.funnelCsv(query));
  }

  @Get('acquisition')
  @ReadYourWrites(...PURCHASE_READ_MODELS)
  @ApiReadHeaders()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'leads captured in [from, to) per source or campaign: cost, cost per lead, qualified, converted, customers, lead-to-customer conversion, their net revenue and the return on the cost' })
  @ApiProblems(400, 503)
  acquisition(@Query() query: AcquisitionQuery, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    return answerList(reply, accept, `acquisition-${query.from}-${query.to}.csv`, () => this.queries.acquisition(query), () => this.queries.acquisitionCsv(query));
  }
}
