import { randomUUID } from 'node:crypto';
import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
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
import { ExecuteContactCommand } from './contact-command';
import type { ContactCommand } from './contacts.decider';
import {
  ChangeStageDto,
  ConsentParams,
  ContactIdParams,
  CreateContactDto,
  HistoryQuery,
  IdentityDto,
  IdentityParams,
  ListContactsQuery,
  SetConsentDto,
  UnsubscribeDto,
  UpdateContactDto,
} from './contacts.dto';
import { CONTACTS_PROJECTION } from './contacts.projection';
import { ContactsQueries } from './contacts.queries';


/** The handler adds the definitions the decider checks the values against. */
const customValues = (values: Record<string, unknown> | undefined) => (values ? { values, definitions: {} } : undefined);

@ApiTags('contacts')
@Controller('api/v1/contacts')
export class ContactsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: ContactsQueries,
  ) {}

  private async execute(reply: FastifyReply, command: ContactCommand, write: WriteRequest) {
    const result = await this.commands.execute<ExecuteContactCommand, WriteResult>(new ExecuteContactCommand(command, write));
    return answerWrite(reply, result);
  }

  @Post()
  @ApiWriteHeaders()
  @ApiCreatedResponse({ description: 'registered: id, revision (also the ETag) and position (also X-Position)' })
  @ApiProblems(400, 409, 413, 422, 503)
  async create(@Body() body: CreateContactDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const contactId = idForCreate(write, 'contact', randomUUID);
    const { emails, phones, tags, identities, lifecycleStage, consents, customFields, ...profile } = body;
    const answer = await this.execute(
      reply,
      {
        type: 'RegisterContact',
        data: { contactId, now: new Date().toISOString(), profile, emails, phones, tags, identities, lifecycleStage, consents, customFields: customValues(customFields) },
      },
      write,
    );
    void reply.status(201).header('location', `/api/v1/contacts/${contactId}`);
    return answer;
  }

  @Get()
  @ReadYourWrites(CONTACTS_PROJECTION)
  @ApiReadHeaders()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'a page of contacts and the cursor of the next; with Accept: text/csv the whole filtered list' })
  @ApiProblems(400, 503)
  async list(@Query() query: ListContactsQuery, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    return answerList(reply, accept, 'contacts.csv', () => this.queries.list(query), () => this.queries.csv(query));
  }

  @Get(':id')
  @ReadYourWrites(CONTACTS_PROJECTION)
  @ApiReadHeaders()
  @ApiOkResponse({ description: 'the contact; ETag is its revision. A merged contact answers 200 with its own data and `mergedInto` (also a canonical Link): the contact it counts as now' })
  @ApiProblems(400, 404, 503)
  async get(@Param() { id }: ContactIdParams, @Res({ passthrough: true }) reply: FastifyReply) {
    const contact = await this.queries.get(id);
    void reply.header('etag', revisionTag(contact.revision));
    if (contact.mergedInto) void reply.header('link', `</api/v1/contacts/${contact.mergedInto}>; rel="canonical"`);
    return contact;
  }

  @Get(':id/history')
  // The events come from the store; who is merged into the contact from the read model.
  @ReadYourWrites(CONTACTS_PROJECTION)
  @ApiReadHeaders()
  @ApiOkResponse({ description: 'the contact\'s events, oldest first, with those of the contacts merged into it while they are (each entry names its contactId)' })
  @ApiProblems(400, 404, 503)
  history(@Param() { id }: ContactIdParams, @Query() query: HistoryQuery) {
    return this.queries.history(id, query.from, query.limit);
  }

  @Patch(':id')
  @ApiWriteHeaders()
  @ApiOkResponse({ description: 'changed (or nothing to change): revision and position' })
  @ApiProblems(400, 404, 412, 413, 422, 503)
  update(@Param() { id }: ContactIdParams, @Body() body: UpdateContactDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const { emails, phones, tags, customFields, ...profile } = body;
    return this.execute(
      reply,
      { type: 'UpdateContact', data: { contactId: id, now: new Date().toISOString(), profile, emails, phones, tags, customFields: customValues(customFields) } },
      write,
    );
  }

  @Put(':id/lifecycle-stage')
  @ApiWriteHeaders()
  @ApiProblems(400, 404, 412, 422, 503)
  changeStage(@Param() { id }: ContactIdParams, @Body() body: ChangeStageDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.execute(reply, { type: 'ChangeLifecycleStage', data: { contactId: id, now: new Date().toISOString(), stage: body.stage, reason: body.reason } }, write);
  }

  @Post(':id/identities')
  @HttpCode(200)
  @ApiWriteHeaders()
  @ApiProblems(400, 404, 409, 412, 503)
  linkIdentity(@Param() { id }: ContactIdParams, @Body() identity: IdentityDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.execute(reply, { type: 'LinkIdentity', data: { contactId: id, identity: { source: identity.source, externalId: identity.externalId } } }, write);
  }

  @Delete(':id/identities/:source/:externalId')
  @ApiWriteHeaders()
  @ApiProblems(400, 404, 412, 503)
  unlinkIdentity(@Param() { id, source, externalId }: IdentityParams, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.execute(reply, { type: 'UnlinkIdentity', data: { contactId: id, identity: { source, externalId } } }, write);
  }

  @Put(':id/consents/:channel/:purpose')
  @ApiWriteHeaders()
  @ApiProblems(400, 404, 412, 422, 503)
  setConsent(@Param() { id, channel, purpose }: ConsentParams, @Body() body: SetConsentDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const consent = { channel, purpose, source: body.source };
    const now = new Date().toISOString();
    return this.execute(reply, body.granted ? { type: 'GiveConsent', data: { contactId: id, now, consent } } : { type: 'WithdrawConsent', data: { contactId: id, now, consent } }, write);
  }

  @Post(':id/unsubscribe')
  @HttpCode(200)
  @ApiWriteHeaders()
  @ApiProblems(400, 404, 412, 503)
  unsubscribe(@Param() { id }: ContactIdParams, @Body() body: UnsubscribeDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.execute(reply, { type: 'Unsubscribe', data: { contactId: id, now: new Date().toISOString(), channel: body.channel, source: body.source } }, write);
  }
}
