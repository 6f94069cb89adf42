import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Controller, Get, Headers, HttpException, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ValidationError } from '@clientela/contracts';
import { ReadYourWrites } from '@clientela/projections';
import { answerList, ApiProblems, ApiReadHeaders, ApiWriteHeaders, idForCreate, POSITION_HEADER, Write, type WriteRequest } from '@clientela/service-kit';
import { ImportErrorsQuery, StartImportQuery } from './import.dto';
import { csvEncodingOf, ImportService } from './import.service';
import { IMPORTS_PROJECTION } from './imports.projection';
import { ImportIdParams, ImportsQueries, ListImportsQuery } from './imports.queries';

@ApiTags('imports')
@Controller('api/v1/imports')
export class ImportsController {
  constructor(
    private readonly imports: ImportService,
    private readonly queries: ImportsQueries,
  ) {}

  @Post()
  @ApiConsumes('text/csv')
  @ApiBody({ description: 'the CSV file, with a header row (UTF-8 unless Content-Type names another charset: `text/csv; charset=windows-1252`; streamed, no size limit)', schema: { type: 'string' } })
  @ApiWriteHeaders()
  @ApiCreatedResponse({ description: 'the import, run to its end: counts of rows read, created, matched and failed; its bad rows at /imports/:id/errors. While it runs, GET /imports/:id shows its progress' })
  @ApiProblems(400, 409, 415, 422, 503)
  async start(@Query() query: StartImportQuery, @Req() request: FastifyRequest, @Write() write: WriteRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const contentType = request.headers['content-type'];
    if (!(contentType ?? '').startsWith('text/csv')) {
      throw new ValidationError('the body must be the CSV file, as text/csv', [{ path: 'header.Content-Type', constraints: { csv: 'must be text/csv' } }]);
    }
    const encoding = csvEncodingOf(contentType);
    if (encoding === undefined) throw new HttpException(`the CSV's charset is not one this service can read (${contentType}): use UTF-8, windows-1252, ISO-8859-x, UTF-16 or another WHATWG encoding label`, 415);
    const importId = idForCreate(write, 'import', randomUUID);
    const summary = await this.imports.run({ importId, kind: query.kind, dryRun: query.dryRun ?? false, mapping: query.mapping, encoding, write }, request.body as Readable);
    void reply.status(201).header('location', `/api/v1/imports/${importId}`).header(POSITION_HEADER, summary.position);
    return summary;
  }

  @Get()
  @ReadYourWrites(IMPORTS_PROJECTION)
  @ApiReadHeaders()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'import jobs, newest first' })
  @ApiProblems(400, 503)
  list(@Query() query: ListImportsQuery, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    return answerList(reply, accept, 'imports.csv', () => this.queries.list(query), async () => {
      throw new ValidationError('the list of imports has no CSV form: export an import\'s errors', [{ path: 'header.Accept', constraints: { csv: 'use application/json' } }]);
    });
  }

  @Get(':id')
  @ReadYourWrites(IMPORTS_PROJECTION)
  @ApiReadHeaders()
  @ApiOkResponse({ description: 'the job: status, mapping, rows read, created, matched, failed (updated after every 1,000 rows while it runs)' })
  @ApiProblems(400, 404, 503)
  get(@Param() { id }: ImportIdParams) {
    return this.queries.get(id);
  }

  @Get(':id/errors')
  @ReadYourWrites(IMPORTS_PROJECTION)
  @ApiReadHeaders()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'the bad rows\' errors by row (row as a spreadsheet numbers it: the header is 1), field (the CSV column, or `row`) and message; with Accept: text/csv all of them' })
  @ApiProblems(400, 404, 503)
  errors(@Param() { id }: ImportIdParams, @Query() query: ImportErrorsQuery, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    return answerList(reply, accept, `import-${id}-errors.csv`, () => this.queries.errors(id, query.cursor, query.limit), () => this.queries.errorsCsv(id));
  }
}
