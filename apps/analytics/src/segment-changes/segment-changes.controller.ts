import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DomainRuleError } from '@clientela/contracts';
import { ReadYourWrites } from '@clientela/projections';
import { ApiProblems, ApiReadHeaders } from '@clientela/service-kit';
import { PURCHASE_READ_MODELS } from '../purchases/purchases.sql';
import { DEFAULT_CURRENCY } from '../rfm/rfm.dto';
import { todayUtc } from '../rfm/rfm.queries';
import { PublishSegmentChangesBody } from './segment-changes.dto';
import { SegmentChangesService } from './segment-changes.service';
import { SEGMENTS_PROJECTION } from './segments.projection';

// The service runs this once a day by itself (yesterday's segments); the route is for backfills and
// operators. Running a day again publishes nothing new.
@ApiTags('analytics')
@Controller('api/v1/analytics')
export class SegmentChangesController {
  constructor(private readonly changes: SegmentChangesService) {}

  @Post('segment-changes')
  @HttpCode(200)
  @ReadYourWrites(...PURCHASE_READ_MODELS, SEGMENTS_PROJECTION)
  @ApiReadHeaders()
  @ApiOkResponse({ description: 'publishes CustomerSegmentChanged for every customer whose segment on `asOf` is not the one last published; answers how many, and X-Position' })
  @ApiProblems(400, 409, 422, 503)
  async publish(@Body() body: PublishSegmentChangesBody, @Res({ passthrough: true }) reply: FastifyReply) {
    const now = new Date();
    const asOf = body.asOf ?? todayUtc(new Date(now.getTime() - 86_400_000));
    if (asOf > todayUtc(now)) throw new DomainRuleError(`asOf ${asOf} is in the future: segments are published for days that have begun`, 'future_day');
    const run = await this.changes.publish(asOf, body.currency ?? DEFAULT_CURRENCY);
    if (run.position) reply.header('x-position', run.position);
    return run;
  }
}
