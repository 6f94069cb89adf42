import { Module } from '@nestjs/common';
import { ExecuteContactCommandHandler } from './contact-command';
import { ContactsController } from './contacts.controller';
import { ContactsQueries } from './contacts.queries';

@Module({
  controllers: [ContactsController],
  providers: [ExecuteContactCommandHandler, ContactsQueries],
})
export class ContactsModule {}
