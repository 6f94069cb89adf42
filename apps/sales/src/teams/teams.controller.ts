import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, Headers, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ReadYourWrites } from '@clientela/projections';
import { answerList, answerWrite, ApiProblems, ApiReadHeaders, ApiWriteHeaders, idForCreate, revisionTag, Write, type WriteRequest, type WriteResult } from '@clientela/service-kit';
import { ExecuteSalesRepCommand, ExecuteSalesTeamCommand, type SalesRepRequest } from './team-commands';
import type { SalesTeamCommand } from './teams.decider';
import {
  CreateSalesTeamDto, IdParams, ListQuotasQuery, ListSalesRepsQuery, ListSalesTeamsQuery, QuotaParams, RegisterSalesRepDto, RenameSalesTeamDto, SetQuotaDto, UpdateSalesRepDto,
} from './teams.dto';
import { SALES_TEAMS_PROJECTION } from './teams.projection';
import { TeamsQueries } from './teams.queries';

const now = () => new Date().toISOString();

@ApiTags('sales teams')
@Controller('api/v1')
export class TeamsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: TeamsQueries,
  ) {}

  private async team(reply: FastifyReply, command: SalesTeamCommand, write: WriteRequest) {
    return answerWrite(reply, await this.commands.execute<ExecuteSalesTeamCommand, WriteResult>(new ExecuteSalesTeamCommand(command, write)));
  }

  private async rep(reply: FastifyReply, command: SalesRepRequest, write: WriteRequest) {
    return answerWrite(reply, await this.commands.execute<ExecuteSalesRepCommand, WriteResult>(new ExecuteSalesRepCommand(command, write)));
  }

  @Post('sales-teams')
  @ApiWriteHeaders()
  @ApiCreatedResponse({ description: 'created: id, revision and position' })
  @ApiProblems(400, 409, 413, 422, 503)
  async createTeam(@Body() body: CreateSalesTeamDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const teamId = idForCreate(write, 'salesTeam', randomUUID);
    const answer = await this.team(reply, { type: 'CreateSalesTeam', data: { teamId, now: now(), name: body.name } }, write);
    void reply.status(201).header('location', `/api/v1/sales-teams/${teamId}`);
    return answer;
  }

  @Get('sales-teams')
  @ReadYourWrites(SALES_TEAMS_PROJECTION)
  @ApiReadHeaders()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'a page of teams; with Accept: text/csv the whole filtered list' })
  @ApiProblems(400, 503)
  teams(@Query() query: ListSalesTeamsQuery, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    return answerList(reply, accept, 'sales-teams.csv', () => this.queries.teams(query), () => this.queries.teamsCsv(query));
  }

  @Get('sales-teams/:id')
  @ReadYourWrites(SALES_TEAMS_PROJECTION)
  @ApiReadHeaders()
  @ApiOkResponse({ description: 'the team' })
  @ApiProblems(400, 404, 503)
  getTeam(@Param() { id }: IdParams) {
    return this.queries.team(id);
  }

  @Patch('sales-teams/:id')
  @ApiWriteHeaders()
  @ApiOkResponse({ description: 'renamed (or the same name): revision and position' })
  @ApiProblems(400, 404, 412, 413, 422, 503)
  renameTeam(@Param() { id }: IdParams, @Body() body: RenameSalesTeamDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.team(reply, { type: 'RenameSalesTeam', data: { teamId: id, now: now(), name: body.name } }, write);
  }

  @Post('sales-reps')
  @ApiWriteHeaders()
  @ApiCreatedResponse({ description: 'registered: id (the ownerId deals name), revision and position' })
  @ApiProblems(400, 409, 413, 422, 503)
  async registerRep(@Body() body: RegisterSalesRepDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const { id, ...fields } = body;
    const repId = id ?? idForCreate(write, 'salesRep', randomUUID);
    const answer = await this.rep(reply, { type: 'RegisterSalesRep', data: { ...fields, repId, now: now() } }, write);
    void reply.status(201).header('location', `/api/v1/sales-reps/${repId}`);
    return answer;
  }

  @Get('sales-reps')
  @ReadYourWrites(SALES_TEAMS_PROJECTION)
  @ApiReadHeaders()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'a page of sales reps; with Accept: text/csv the whole filtered list' })
  @ApiProblems(400, 503)
  reps(@Query() query: ListSalesRepsQuery, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    return answerList(reply, accept, 'sales-reps.csv', () => this.queries.reps(query), () => this.queries.repsCsv(query));
  }

  @Get('sales-reps/:id')
  @ReadYourWrites(SALES_TEAMS_PROJECTION)
  @ApiReadHeaders()
  @ApiOkResponse({ description: 'the rep with its quotas by period; ETag is its revision' })
  @ApiProblems(400, 404, 503)
  async getRep(@Param() { id }: IdParams, @Res({ passthrough: true }) reply: FastifyReply) {
    const rep = await this.queries.rep(id);
    void reply.header('etag', revisionTag(rep.revision));
    return rep;
  }

  @Patch('sales-reps/:id')
  @ApiWriteHeaders()
  @ApiOkResponse({ description: 'changed (or nothing to change): revision and position' })
  @ApiProblems(400, 404, 412, 413, 422, 503)
  changeRep(@Param() { id }: IdParams, @Body() body: UpdateSalesRepDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.rep(reply, { type: 'ChangeSalesRep', data: { ...body, repId: id, now: now() } }, write);
  }

  @Put('sales-reps/:id/quotas/:period')
  @ApiWriteHeaders()
  @ApiOkResponse({ description: 'the quota for the period set (or unchanged): revision and position' })
  @ApiProblems(400, 404, 412, 413, 422, 503)
  setQuota(@Param() { id, period }: QuotaParams, @Body() body: SetQuotaDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.rep(reply, { type: 'SetSalesQuota', data: { repId: id, now: now(), period, amount: body.amount, currency: body.currency } }, write);
  }

  @Get('sales-quotas')
  @ReadYourWrites(SALES_TEAMS_PROJECTION)
  @ApiReadHeaders()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'a page of quotas; with Accept: text/csv the whole filtered list' })
  @ApiProblems(400, 503)
  quotas(@Query() query: ListQuotasQuery, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    return answerList(reply, accept, 'sales-quotas.csv', () => this.queries.quotas(query), () => this.queries.quotasCsv(query));
  }
}
