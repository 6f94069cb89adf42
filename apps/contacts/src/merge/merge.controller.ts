import { Body, Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { answerWrite, ApiProblems, ApiWriteHeaders, Write, type WriteRequest, type WriteResult } from '@clientela/service-kit';
import { ContactIdParams } from '../contacts/contacts.dto';
import { ExecuteMergeCommand } from './merge-command';
import type { MergeCommand } from './merge.decider';
import { MergeContactDto, UnmergeContactDto } from './merge.dto';

@ApiTags('contacts')
@Controller('api/v1/contacts')
export class MergeController {
  constructor(private readonly commands: CommandBus) {}

  private async execute(reply: FastifyReply, command: MergeCommand, write: WriteRequest) {
    return answerWrite(reply, await this.commands.execute<ExecuteMergeCommand, WriteResult>(new ExecuteMergeCommand(command, write)));
  }

  @Post(':id/merge')
  @HttpCode(200)
  @ApiWriteHeaders()
  @ApiOkResponse({ description: 'merged (or already merged into this contact): the survivor\'s revision and the position of the write' })
  @ApiProblems(400, 404, 409, 412, 422, 503)
  merge(@Param() { id }: ContactIdParams, @Body() body: MergeContactDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.execute(reply, { type: 'MergeContacts', data: { survivorId: id, mergedId: body.duplicateId, now: new Date().toISOString() } }, write);
  }

  @Post(':id/unmerge')
  @HttpCode(200)
  @ApiWriteHeaders()
  @ApiOkResponse({ description: 'unmerged: the survivor\'s revision and the position of the write' })
  @ApiProblems(400, 404, 409, 412, 422, 503)
  unmerge(@Param() { id }: ContactIdParams, @Body() body: UnmergeContactDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.execute(reply, { type: 'UnmergeContacts', data: { survivorId: id, mergedId: body.mergedId, now: new Date().toISOString() } }, write);
  }
}
