import { Body, Controller, Delete, Get, Param, Patch, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { NotFoundError } from '@clientela/contracts';
import { answerWrite, ApiProblems, ApiWriteHeaders, revisionTag, Write, type WriteRequest, type WriteResult } from '@clientela/service-kit';
import { CustomFieldDefinitions, ExecuteCustomFieldCommand } from './custom-field-command';
import type { CustomFieldCommand } from './custom-fields.decider';
import { ChangeCustomFieldDto, CustomFieldKeyParams, DefineCustomFieldDto } from './custom-fields.dto';

@ApiTags('custom fields')
@Controller('api/v1/custom-fields')
export class CustomFieldsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly definitions: CustomFieldDefinitions,
  ) {}

  private async execute(reply: FastifyReply, command: CustomFieldCommand, write: WriteRequest) {
    return answerWrite(reply, await this.commands.execute<ExecuteCustomFieldCommand, WriteResult>(new ExecuteCustomFieldCommand(command, write)));
  }

  @Post()
  @ApiWriteHeaders()
  @ApiCreatedResponse({ description: 'defined; ETag is the revision of the set of definitions' })
  @ApiProblems(400, 409, 412, 422, 503)
  async define(@Body() body: DefineCustomFieldDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const answer = await this.execute(reply, { type: 'DefineCustomField', data: body }, write);
    void reply.status(201).header('location', `/api/v1/custom-fields/${body.key}`);
    return answer;
  }

  @Get()
  @ApiOkResponse({ description: 'the live definitions, by key' })
  @ApiProblems(503)
  async list(@Res({ passthrough: true }) reply: FastifyReply) {
    const { fields, revision } = await this.definitions.all();
    void reply.header('etag', revisionTag(revision));
    return { items: Object.values(fields).filter((f) => !f.retired).sort((a, b) => a.key.localeCompare(b.key)).map(({ retired: _retired, ...f }) => f) };
  }

  @Get(':key')
  @ApiProblems(400, 404, 503)
  async get(@Param() { key }: CustomFieldKeyParams) {
    const field = (await this.definitions.all()).fields[key];
    if (!field || field.retired) throw new NotFoundError(`custom field ${key} not found`);
    const { retired: _retired, ...definition } = field;
    return definition;
  }

  @Patch(':key')
  @ApiWriteHeaders()
  @ApiProblems(400, 404, 412, 422, 503)
  change(@Param() { key }: CustomFieldKeyParams, @Body() body: ChangeCustomFieldDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.execute(reply, { type: 'ChangeCustomField', data: { key, ...body } }, write);
  }

  @Delete(':key')
  @ApiWriteHeaders()
  @ApiOkResponse({ description: 'retired: no longer accepted nor shown; values stay in the history; the key is not reused' })
  @ApiProblems(400, 404, 412, 503)
  retire(@Param() { key }: CustomFieldKeyParams, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.execute(reply, { type: 'RetireCustomField', data: { key } }, write);
  }
}
