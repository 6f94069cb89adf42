import { Module } from '@nestjs/common';
import { ExecuteDealCommandHandler } from './deal-command';
import { DealsController } from './deals.controller';
import { DealsQueries } from './deals.queries';

@Module({
  controllers: [DealsController],
  providers: [ExecuteDealCommandHandler, DealsQueries],
})
export class DealsModule {}
