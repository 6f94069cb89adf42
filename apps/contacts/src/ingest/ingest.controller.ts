import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { formatPosition, ValidationError } from '@clientela/contracts';
import { ReadYourWrites } from '@clientela/projections';
import { ApiProblems, ApiReadHeaders, POSITION_HEADER } from '@clientela/service-kit';
import { CONTACTS_PROJECTION } from '../contacts/contacts.projection';
import { DuplicatesQueries, ListDuplicatesQuery } from './duplicates.queries';
import { IngestService, MAX_INGEST_ITEMS } from './ingest.service';
import { DUPLICATES_PROJECTION } from './ingest.projections';

@ApiTags('ingest')
@Controller('api/v1')
export class IngestController {
  constructor(
    private readonly ingest: IngestService,
    private readonly duplicates: DuplicatesQueries,
  ) {}

  @Post('events')
  @HttpCode(200)
  @ApiBody({ description: `a JSON array of up to ${MAX_INGEST_ITEMS} ingest messages (the clientela.ingest.v1 contract)`, schema: { type: 'array', maxItems: MAX_INGEST_ITEMS, items: { type: 'object' } } })
  @ApiOkResponse({ description: 'a result per item, in order: accepted (with its contact), duplicate, or rejected with its violations; X-Position covers every write' })
  @ApiProblems(400, 409, 413, 503)
  async events(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    if (!Array.isArray(body)) {
      throw new ValidationError('the body must be a JSON array of ingest messages', [{ path: '', constraints: { isArray: 'the body must be a JSON array of ingest messages' } }]);
    }
    if (body.length > MAX_INGEST_ITEMS) {
      throw new ValidationError(`at most ${MAX_INGEST_ITEMS} messages per request (got ${body.length})`, [{ path: '', constraints: { arrayMaxSize: `at most ${MAX_INGEST_ITEMS} messages per request` } }]);
    }
    const outcome = await this.ingest.ingestRaw(body);
    if (outcome.position !== undefined) void reply.header(POSITION_HEADER, formatPosition(outcome.position));
    const count = (status: string) => outcome.results.filter((r) => r.status === status).length;
    return { accepted: count('accepted'), duplicates: count('duplicate'), rejected: count('rejected'), results: outcome.results };
  }

  @Get('contacts/duplicates')
  @ReadYourWrites(DUPLICATES_PROJECTION, CONTACTS_PROJECTION)
  @ApiReadHeaders()
  @ApiOkResponse({ description: 'pairs of contacts identity resolution found likely to be one person, with the reason; nothing was merged' })
  @ApiProblems(400, 503)
  list(@Query() query: ListDuplicatesQuery) {
    return this.duplicates.list(query);
  }
}
