import { Module, type DynamicModule } from '@nestjs/common';
import { DEFAULT_IDENTITY_RULES, type IdentityRules } from './identifiers';
import { DuplicatesQueries } from './duplicates.queries';
import { IngestConsumer } from './ingest.consumer';
import { IngestController } from './ingest.controller';
import { IDENTITY_RULES, IngestService } from './ingest.service';

/** Ingest: identity resolution at `POST /api/v1/events` and, in Kafka mode, on `clientela.ingest.v1`. */
@Module({})
export class IngestModule {
  static forRoot(rules: Partial<IdentityRules> = {}): DynamicModule {
    return {
      module: IngestModule,
      // Global: the CSV import resolves its rows with the same service (one claims cache per process).
      global: true,
      exports: [IngestService, IDENTITY_RULES],
      controllers: [IngestController],
      providers: [{ provide: IDENTITY_RULES, useValue: { ...DEFAULT_IDENTITY_RULES, ...rules } }, IngestService, DuplicatesQueries, IngestConsumer],
    };
  }
}
