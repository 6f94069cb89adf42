import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { CustomFieldsModule } from '../custom-fields/custom-fields.module';
import { ImportService } from './import.service';
import { ImportsController } from './imports.controller';
import { ImportsQueries } from './imports.queries';

/** CSV import of contacts through ingest's identity resolution (IngestModule, global): POST /api/v1/imports and its jobs. */
@Module({ imports: [CustomFieldsModule], controllers: [ImportsController], providers: [ImportService, ImportsQueries] })
export class ImportModule implements OnModuleInit {
  constructor(private readonly adapter: HttpAdapterHost) {}

  /** A CSV body is handed over as its stream: it is parsed as it arrives, whatever its size. */
  onModuleInit(): void {
    const fastify = this.adapter.httpAdapter.getInstance<FastifyInstance>();
    if (!fastify.hasContentTypeParser('text/csv')) fastify.addContentTypeParser('text/csv', (_request, payload, done) => done(null, payload));
  }
}
