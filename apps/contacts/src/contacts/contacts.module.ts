import { Module } from '@nestjs/common';
import { CustomFieldsModule } from '../custom-fields/custom-fields.module';
import { ExecuteContactCommandHandler } from './contact-command';
import { ContactsController } from './contacts.controller';
import { ContactsQueries } from './contacts.queries';

@Module({
  imports: [CustomFieldsModule],
  controllers: [ContactsController],
  providers: [ExecuteContactCommandHandler, ContactsQueries],
  exports: [ContactsQueries],
})
export class ContactsModule {}
