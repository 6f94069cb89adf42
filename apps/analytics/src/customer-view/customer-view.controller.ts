import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { MIN_POSITION_HEADER, ReadYourWrites } from '@clientela/projections';
import { answerList, ApiProblems, ApiReadHeaders } from '@clientela/service-kit';
import { CustomerParams, CustomerViewQuery, TimelineQuery } from './customer-view.dto';
import { CustomerViewQueries } from './customer-view.queries';
import { CUSTOMER_VIEW_PROJECTIONS } from './customer-view.sections';

@ApiTags('customers')
@Controller('api/v1/customers')
export class CustomerViewController {
  constructor(private readonly queries: CustomerViewQueries) {}

  @Get(':id')
  @ReadYourWrites(...CUSTOMER_VIEW_PROJECTIONS)
  @ApiReadHeaders()
  @ApiOkResponse({
    description:
      'the single customer view: profile, identities, consents, lifecycle stage, owner, order summary per currency, open deals, lead history, last interaction per channel, scores (RFM segment, loyalty tier, churn band and P(alive), historic value); a merged contact answers with its survivor\'s view (`requestedId` names the id asked for)',
  })
  @ApiHeader({ name: 'If-None-Match', required: false, description: 'the ETag of an answer held: 304 while it is still the one' })
  @ApiResponse({ status: 304, description: 'the answer whose ETag was sent in If-None-Match is still the one (no body)' })
  @ApiProblems(400, 404, 503)
  async view(
    @Param() { id }: CustomerParams,
    @Query() query: CustomerViewQuery,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Headers(MIN_POSITION_HEADER) minPosition: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string | undefined> {
    const viewed = await this.queries.view(id, query.currency, ifNoneMatch, minPosition !== undefined);
    // Revalidated on every use: the answer changes with any event of the customer.
    void reply.header('cache-control', 'private, no-cache');
    if (viewed.tag) void reply.header('etag', viewed.tag);
    if (viewed.unchanged) {
      void reply.code(304);
      return undefined;
    }
    // Already the answer's JSON text: sent as it is.
    void reply.type('application/json; charset=utf-8');
    return viewed.answer;
  }

  @Get(':id/timeline')
  @ReadYourWrites(...CUSTOMER_VIEW_PROJECTIONS)
  @ApiReadHeaders()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'every event of the customer (and of the contacts merged into it, and of the leads it came from) in every context, in time order; with Accept: text/csv the whole filtered list' })
  @ApiProblems(400, 503)
  timeline(@Param() { id }: CustomerParams, @Query() query: TimelineQuery, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    return answerList(reply, accept, `customer-${id}-timeline.csv`, () => this.queries.timeline(id, query), () => this.queries.timelineCsv(id, query));
  }
}
