import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { streamId } from '@clientela/contracts';
import { Aggregates, type WriteRequest, type WriteResult } from '@clientela/service-kit';
import { accountsDecider, type AccountCommand } from './accounts.decider';

/** An account command on its way to the decider, with the request's metadata and preconditions. */
export class ExecuteAccountCommand {
  constructor(
    readonly command: AccountCommand,
    readonly write: WriteRequest,
  ) {}
}

/** One handler for every account command, as for contacts: the rules live in the decider. */
@CommandHandler(ExecuteAccountCommand)
export class ExecuteAccountCommandHandler implements ICommandHandler<ExecuteAccountCommand, WriteResult> {
  constructor(private readonly aggregates: Aggregates) {}

  execute({ command, write }: ExecuteAccountCommand): Promise<WriteResult> {
    const { accountId } = command.data;
    return this.aggregates.handle(streamId('account', accountId), accountId, accountsDecider, command, write);
  }
}
