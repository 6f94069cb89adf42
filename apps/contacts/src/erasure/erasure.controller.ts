import { Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { formatPosition } from '@clientela/contracts';
import { ApiProblems, POSITION_HEADER, RequireRole, Write, type WriteRequest } from '@clientela/service-kit';
import { ContactIdParams } from '../contacts/contacts.dto';
import { EraseContactCommand, type ErasureOutcome } from './erase-contact.handler';

@ApiTags('contacts')
@Controller('api/v1/contacts')
export class ErasureController {
  constructor(private readonly commands: CommandBus) {}

  @Post(':id/erasure')
  @HttpCode(200)
  @RequireRole('admin')
  @ApiOkResponse({ description: 'the person is erased (also when they were already): the contacts erased as one person, the leads converted into them, and the position of their ContactErased events (X-Position)' })
  @ApiProblems(400, 403, 404, 503)
  async erase(@Param() { id }: ContactIdParams, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const outcome = await this.commands.execute<EraseContactCommand, ErasureOutcome>(new EraseContactCommand(id, write));
    const position = formatPosition(outcome.position);
    reply.header(POSITION_HEADER, position);
    return { id: outcome.id, erased: outcome.erased, leadIds: outcome.leadIds, position };
  }
}
