import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
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
import { CONTACTS_PROJECTION } from '../contacts/contacts.projection';
import { ExecuteAccountCommand } from './account-command';
import type { AccountCommand } from './accounts.decider';
import { AccountIdParams, ArchiveAccountDto, CreateAccountDto, ListAccountContactsQuery, ListAccountsQuery, UpdateAccountDto } from './accounts.dto';
import { ACCOUNTS_PROJECTION } from './accounts.projection';
import { AccountsQueries } from './accounts.queries';


// Account reads count and list contacts too, so they wait for both read models.
@ApiTags('accounts')
@Controller('api/v1/accounts')
export class AccountsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: AccountsQueries,
  ) {}

  private async execute(reply: FastifyReply, command: AccountCommand, write: WriteRequest) {
    const result = await this.commands.execute<ExecuteAccountCommand, WriteResult>(new ExecuteAccountCommand(command, write));
    return answerWrite(reply, result);
  }

  @Post()
  @ApiWriteHeaders()
  @ApiCreatedResponse({ description: 'registered: id, revision (also the ETag) and position (also X-Position)' })
  @ApiProblems(400, 409, 413, 422, 503)
  async create(@Body() body: CreateAccountDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const accountId = idForCreate(write, 'account', randomUUID);
    const answer = await this.execute(reply, { type: 'RegisterAccount', data: { accountId, now: new Date().toISOString(), profile: body } }, write);
    void reply.status(201).header('location', `/api/v1/accounts/${accountId}`);
    return answer;
  }

  @Get()
  @ReadYourWrites(ACCOUNTS_PROJECTION, CONTACTS_PROJECTION)
  @ApiReadHeaders()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'a page of accounts and the cursor of the next; with Accept: text/csv the whole filtered list' })
  @ApiProblems(400, 503)
  async list(@Query() query: ListAccountsQuery, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    return answerList(reply, accept, 'accounts.csv', () => this.queries.list(query), () => this.queries.csv(query));
  }

  @Get(':id')
  @ReadYourWrites(ACCOUNTS_PROJECTION, CONTACTS_PROJECTION)
  @ApiReadHeaders()
  @ApiOkResponse({ description: 'the account with its contact count; ETag is its revision' })
  @ApiProblems(400, 404, 503)
  async get(@Param() { id }: AccountIdParams, @Res({ passthrough: true }) reply: FastifyReply) {
    const account = await this.queries.get(id);
    void reply.header('etag', revisionTag(account.revision));
    return account;
  }

  @Get(':id/contacts')
  @ReadYourWrites(ACCOUNTS_PROJECTION, CONTACTS_PROJECTION)
  @ApiReadHeaders()
  @ApiOkResponse({ description: 'a page of the account\'s contacts and the cursor of the next' })
  @ApiProblems(400, 404, 503)
  contacts(@Param() { id }: AccountIdParams, @Query() query: ListAccountContactsQuery) {
    return this.queries.contacts(id, query);
  }

  @Patch(':id')
  @ApiWriteHeaders()
  @ApiOkResponse({ description: 'changed (or nothing to change): revision and position' })
  @ApiProblems(400, 404, 412, 413, 422, 503)
  update(@Param() { id }: AccountIdParams, @Body() body: UpdateAccountDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.execute(reply, { type: 'ChangeAccount', data: { accountId: id, now: new Date().toISOString(), profile: body } }, write);
  }

  @Post(':id/archive')
  @HttpCode(200)
  @ApiWriteHeaders()
  @ApiOkResponse({ description: 'archived (or already archived): revision and position' })
  @ApiProblems(400, 404, 412, 413, 503)
  archive(@Param() { id }: AccountIdParams, @Body() body: ArchiveAccountDto, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.execute(reply, { type: 'ArchiveAccount', data: { accountId: id, now: new Date().toISOString(), reason: body.reason } }, write);
  }
}
