import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, Headers, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ReadYourWrites } from '@clientela/projections';
import { answerList, answerWrite, ApiProblems, ApiReadHeaders, ApiWriteHeaders, idForCreate, revisionTag, Write, type WriteRequest, type WriteResult } from '@clientela/service-kit';
import { ExecutePipelineCommand } from './pipeline-command';
import type { PipelineCommand } from './pipelines.decider';
import { CreatePipelineDto, ListPipelinesQuery, PipelineIdParams, UpdatePipelineDto } from './pipelines.dto';
import { PIPELINES_PROJECTION } from './pipelines.projection';
import { PipelinesQueries } from './pipelines.queries';

@ApiTags('pipelines')
@Controller('api/v1/pipelines')
export class PipelinesController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: PipelinesQueries,
  ) {}

  private async execute(reply: FastifyReply, command: PipelineCommand, write: WriteRequest) {
    return answerWrite(reply, await this.commands.execute<ExecutePipelineCommand, WriteResult>(new ExecutePipelineCommand(command, write)));
  }

  @Post()
  @ApiWriteHeaders()
  @ApiCreatedResponse({ description: 'created: id, revision (also the ETag) and position (also X-Position)' })
  @ApiProblems(400, 409, 413, 422, 503)
  async create(@Body() body: CreatePipelineDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const pipelineId = idForCreate(write, 'pipeline', randomUUID);
    const answer = await this.execute(reply, { type: 'CreatePipeline', data: { pipelineId, now: new Date().toISOString(), name: body.name, stages: body.stages } }, write);
    void reply.status(201).header('location', `/api/v1/pipelines/${pipelineId}`);
    return answer;
  }

  @Get()
  @ReadYourWrites(PIPELINES_PROJECTION)
  @ApiReadHeaders()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'a page of pipelines and the cursor of the next; with Accept: text/csv every stage of the filtered list, one per line' })
  @ApiProblems(400, 503)
  list(@Query() query: ListPipelinesQuery, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    return answerList(reply, accept, 'pipelines.csv', () => this.queries.list(query), () => this.queries.csv(query));
  }

  @Get(':id')
  @ReadYourWrites(PIPELINES_PROJECTION)
  @ApiReadHeaders()
  @ApiOkResponse({ description: 'the pipeline with its stages in order; ETag is its revision' })
  @ApiProblems(400, 404, 503)
  async get(@Param() { id }: PipelineIdParams, @Res({ passthrough: true }) reply: FastifyReply) {
    const pipeline = await this.queries.get(id);
    void reply.header('etag', revisionTag(pipeline.revision));
    return pipeline;
  }

  @Patch(':id')
  @ApiWriteHeaders()
  @ApiOkResponse({ description: 'changed (or nothing to change): revision and position' })
  @ApiProblems(400, 404, 412, 413, 422, 503)
  update(@Param() { id }: PipelineIdParams, @Body() body: UpdatePipelineDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.execute(reply, { type: 'ChangePipeline', data: { pipelineId: id, now: new Date().toISOString(), name: body.name, stages: body.stages } }, write);
  }
}
