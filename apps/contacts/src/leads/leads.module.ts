import { Module } from '@nestjs/common';
import { ConvertLeadHandler } from './convert-lead';
import { ExecuteLeadCommandHandler } from './lead-command';
import { LeadsController } from './leads.controller';
import { LeadsQueries } from './leads.queries';

@Module({
  controllers: [LeadsController],
  providers: [ExecuteLeadCommandHandler, ConvertLeadHandler, LeadsQueries],
})
export class LeadsModule {}
