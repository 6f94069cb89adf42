import { Module } from '@nestjs/common';
import { EraseContactHandler } from './erase-contact.handler';
import { ErasureController } from './erasure.controller';
import { IngestTopicPurge } from './ingest-topic-purge';
import { PersonContactsReader } from './person-contacts';

/** Erasure of a person (`ContactErased`): their data keys destroyed, every read model scrubbed. */
@Module({ controllers: [ErasureController], providers: [EraseContactHandler, IngestTopicPurge, PersonContactsReader], exports: [PersonContactsReader] })
export class ErasureModule {}
