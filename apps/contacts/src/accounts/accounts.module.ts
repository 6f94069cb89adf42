import { Module } from '@nestjs/common';
import { ExecuteAccountCommandHandler } from './account-command';
import { AccountsController } from './accounts.controller';
import { AccountsQueries } from './accounts.queries';

@Module({
  controllers: [AccountsController],
  providers: [ExecuteAccountCommandHandler, AccountsQueries],
})
export class AccountsModule {}
