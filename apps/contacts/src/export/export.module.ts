import { Module } from '@nestjs/common';
import { ContactsModule } from '../contacts/contacts.module';
import { ErasureModule } from '../erasure/erasure.module';
import { ExportController } from './export.controller';
import { PersonalDataExporter } from './personal-data-export';

/** A person's data as one JSON document (GDPR article 15). */
@Module({ imports: [ContactsModule, ErasureModule], controllers: [ExportController], providers: [PersonalDataExporter] })
export class ExportModule {}
