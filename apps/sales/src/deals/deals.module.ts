import { Module } from '@nestjs/common';
import { ContactErasedConsumer } from './contact-erased.consumer';
import { ExecuteDealCommandHandler } from './deal-command';
import { DealsController } from './deals.controller';
import { DealsQueries } from './deals.queries';
import { LeadConvertedConsumer } from './lead-converted.consumer';

@Module({
  controllers: [DealsController, LeadConvertedConsumer, ContactErasedConsumer],
  providers: [ExecuteDealCommandHandler, DealsQueries],
})
export class DealsModule {}
