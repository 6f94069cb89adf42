import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ReadYourWrites } from '@clientela/projections';
import {
  answerList,
  answerWrite,
  ApiProblems,
  ApiReadHeaders,
  ApiWriteHeaders,
  idForCreate,
  revisionTag,
  Write,
  type WriteRequest,
  type WriteResult,
} from '@clientela/service-kit';
import { ConvertLead, type ConversionResult } from './convert-lead';
import { ExecuteLeadCommand } from './lead-command';
import { conversionIdsOf } from './lead-conversion';
import { CaptureLeadDto, ConvertLeadDto, CostPerLeadQuery, LeadIdParams, ListLeadsQuery, QualifyLeadDto, UpdateLeadDto } from './leads.dto';
import { LEADS_PROJECTION } from './leads.projection';
import { LeadsQueries } from './leads.queries';


@ApiTags('leads')
@Controller('api/v1/leads')
export class LeadsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: LeadsQueries,
  ) {}

  private async execute(reply: FastifyReply, command: ExecuteLeadCommand['command'], write: WriteRequest) {
    const result = await this.commands.execute<ExecuteLeadCommand, WriteResult>(new ExecuteLeadCommand(command, write));
    return answerWrite(reply, result);
  }

  @Post()
  @ApiWriteHeaders()
  @ApiCreatedResponse({ description: 'captured: id, revision (also the ETag) and position (also X-Position)' })
  @ApiProblems(400, 409, 413, 422, 503)
  async capture(@Body() body: CaptureLeadDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const leadId = idForCreate(write, 'lead', randomUUID);
    const { source, campaignId, acquisitionCost, ...person } = body;
    const answer = await this.execute(reply, { type: 'CaptureLead', data: { leadId, now: new Date().toISOString(), source, campaignId, acquisitionCost, person } }, write);
    void reply.status(201).header('location', `/api/v1/leads/${leadId}`);
    return answer;
  }

  @Get()
  @ReadYourWrites(LEADS_PROJECTION)
  @ApiReadHeaders()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'a page of leads and the cursor of the next; with Accept: text/csv the whole filtered list' })
  @ApiProblems(400, 503)
  async list(@Query() query: ListLeadsQuery, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    return answerList(reply, accept, 'leads.csv', () => this.queries.list(query), () => this.queries.csv(query));
  }

  @Get('cost-per-lead')
  @ReadYourWrites(LEADS_PROJECTION)
  @ApiReadHeaders()
  @ApiOkResponse({ description: 'leads, their summed acquisition cost and cost per lead, by source or campaign, per currency' })
  @ApiProblems(400, 503)
  costPerLead(@Query() query: CostPerLeadQuery) {
    return this.queries.costPerLead(query.groupBy ?? 'source');
  }

  @Get(':id')
  @ReadYourWrites(LEADS_PROJECTION)
  @ApiReadHeaders()
  @ApiOkResponse({ description: 'the lead; ETag is its revision' })
  @ApiProblems(400, 404, 503)
  async get(@Param() { id }: LeadIdParams, @Res({ passthrough: true }) reply: FastifyReply) {
    const lead = await this.queries.get(id);
    void reply.header('etag', revisionTag(lead.revision));
    return lead;
  }

  @Patch(':id')
  @ApiWriteHeaders()
  @ApiOkResponse({ description: 'changed (or nothing to change): revision and position' })
  @ApiProblems(400, 404, 412, 413, 422, 503)
  update(@Param() { id }: LeadIdParams, @Body() body: UpdateLeadDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.execute(reply, { type: 'ChangeLead', data: { leadId: id, now: new Date().toISOString(), person: body } }, write);
  }

  @Put(':id/qualification')
  @ApiWriteHeaders()
  @ApiOkResponse({ description: 'qualified, disqualified or being worked on: revision and position' })
  @ApiProblems(400, 404, 412, 413, 422, 503)
  qualify(@Param() { id }: LeadIdParams, @Body() body: QualifyLeadDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.execute(reply, { type: 'QualifyLead', data: { leadId: id, now: new Date().toISOString(), status: body.status, score: body.score, reason: body.reason } }, write);
  }

  @Post(':id/convert')
  @HttpCode(200)
  @ApiWriteHeaders()
  @ApiOkResponse({ description: 'converted (or converted already): the contact and account ids; X-Position covers their registration too' })
  @ApiProblems(400, 404, 412, 413, 422, 503)
  async convert(@Param() { id }: LeadIdParams, @Body() body: ConvertLeadDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const ids = conversionIdsOf(id);
    const result = await this.commands.execute<ConvertLead, ConversionResult>(
      new ConvertLead({ type: 'ConvertLead', data: { leadId: id, now: new Date().toISOString(), ...ids, ...(body.ownerId ? { ownerId: body.ownerId } : {}) } }, write),
    );
    return { ...answerWrite(reply, result), contactId: result.contactId, accountId: result.accountId };
  }
}
