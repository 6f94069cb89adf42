import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ReadYourWrites } from '@clientela/projections';
import { answerList, answerWrite, ApiProblems, ApiReadHeaders, ApiWriteHeaders, idForCreate, revisionTag, Write, type WriteRequest, type WriteResult } from '@clientela/service-kit';
import { ExecuteDealCommand, type DealRequest } from './deal-command';
import { DealIdParams, ListDealsQuery, LoseDealDto, MoveDealDto, OpenDealDto, ReopenDealDto, UpdateDealDto, WinDealDto } from './deals.dto';
import { DEALS_PROJECTION } from './deals.projection';
import { DealsQueries } from './deals.queries';

const now = () => new Date().toISOString();

@ApiTags('deals')
@Controller('api/v1/deals')
export class DealsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: DealsQueries,
  ) {}

  private async execute(reply: FastifyReply, command: DealRequest, write: WriteRequest) {
    return answerWrite(reply, await this.commands.execute<ExecuteDealCommand, WriteResult>(new ExecuteDealCommand(command, write)));
  }

  @Post()
  @ApiWriteHeaders()
  @ApiCreatedResponse({ description: 'opened: id, revision (also the ETag) and position (also X-Position)' })
  @ApiProblems(400, 409, 413, 422, 503)
  async open(@Body() body: OpenDealDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const dealId = idForCreate(write, 'deal', randomUUID);
    const answer = await this.execute(reply, { type: 'OpenDeal', data: { ...body, dealId, now: now() } }, write);
    void reply.status(201).header('location', `/api/v1/deals/${dealId}`);
    return answer;
  }

  @Get()
  @ReadYourWrites(DEALS_PROJECTION)
  @ApiReadHeaders()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'a page of deals and the cursor of the next; with Accept: text/csv the whole filtered list' })
  @ApiProblems(400, 503)
  list(@Query() query: ListDealsQuery, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    return answerList(reply, accept, 'deals.csv', () => this.queries.list(query), () => this.queries.csv(query));
  }

  @Get(':id')
  @ReadYourWrites(DEALS_PROJECTION)
  @ApiReadHeaders()
  @ApiOkResponse({ description: 'the deal with its lines and the time it stood in each stage; ETag is its revision' })
  @ApiProblems(400, 404, 503)
  async get(@Param() { id }: DealIdParams, @Res({ passthrough: true }) reply: FastifyReply) {
    const deal = await this.queries.get(id);
    void reply.header('etag', revisionTag(deal.revision));
    return deal;
  }

  @Patch(':id')
  @ApiWriteHeaders()
  @ApiOkResponse({ description: 'changed (or nothing to change): revision and position' })
  @ApiProblems(400, 404, 412, 413, 422, 503)
  update(@Param() { id }: DealIdParams, @Body() body: UpdateDealDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.execute(reply, { type: 'ChangeDeal', data: { ...body, dealId: id, now: now() } }, write);
  }

  @Post(':id/stage')
  @HttpCode(200)
  @ApiWriteHeaders()
  @ApiOkResponse({ description: 'moved (or already there): revision and position' })
  @ApiProblems(400, 404, 412, 413, 422, 503)
  move(@Param() { id }: DealIdParams, @Body() body: MoveDealDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.execute(reply, { type: 'MoveDealStage', data: { dealId: id, now: now(), stageId: body.stageId } }, write);
  }

  @Post(':id/win')
  @HttpCode(200)
  @ApiWriteHeaders()
  @ApiOkResponse({ description: 'won (or already won): revision and position; the deal becomes an order on its contact' })
  @ApiProblems(400, 404, 412, 413, 422, 503)
  win(@Param() { id }: DealIdParams, @Body() body: WinDealDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.execute(reply, { type: 'WinDeal', data: { dealId: id, now: now(), reason: body.reason } }, write);
  }

  @Post(':id/lose')
  @HttpCode(200)
  @ApiWriteHeaders()
  @ApiOkResponse({ description: 'lost (or already lost): revision and position' })
  @ApiProblems(400, 404, 412, 413, 422, 503)
  lose(@Param() { id }: DealIdParams, @Body() body: LoseDealDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.execute(reply, { type: 'LoseDeal', data: { dealId: id, now: now(), reason: body.reason } }, write);
  }

  @Post(':id/reopen')
  @HttpCode(200)
  @ApiWriteHeaders()
  @ApiOkResponse({ description: 'reopened (or already open) in the stage it closed from; reopening a won deal cancels its order' })
  @ApiProblems(400, 404, 412, 413, 422, 503)
  reopen(@Param() { id }: DealIdParams, @Body() body: ReopenDealDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.execute(reply, { type: 'ReopenDeal', data: { dealId: id, now: now(), reason: body.reason } }, write);
  }
}
