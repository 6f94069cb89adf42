import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { streamId } from '@clientela/contracts';
import { Aggregates, type WriteRequest, type WriteResult } from '@clientela/service-kit';
import { salesRepsDecider, salesTeamsDecider, type SalesRepCommand, type SalesTeamCommand } from './teams.decider';

export class ExecuteSalesTeamCommand {
  constructor(
    readonly command: SalesTeamCommand,
    readonly write: WriteRequest,
  ) {}
}

@CommandHandler(ExecuteSalesTeamCommand)
export class ExecuteSalesTeamCommandHandler implements ICommandHandler<ExecuteSalesTeamCommand, WriteResult> {
  constructor(private readonly aggregates: Aggregates) {}

  execute({ command, write }: ExecuteSalesTeamCommand): Promise<WriteResult> {
    const { teamId } = command.data;
    return this.aggregates.handle(streamId('salesTeam', teamId), teamId, salesTeamsDecider, command, write);
  }
}

/** A rep command as a controller builds it: the handler says whether the team it names exists. */
export type SalesRepRequest = SalesRepCommand extends infer C ? (C extends { data: { teamExists: boolean } } ? { type: C['type' & keyof C]; data: Omit<C['data' & keyof C], 'teamExists'> } : C) : never;

export class ExecuteSalesRepCommand {
  constructor(
    readonly command: SalesRepRequest,
    readonly write: WriteRequest,
  ) {}
}

/** One handler for every rep command; the team a rep joins is read from its stream, not a lagging read model. */
@CommandHandler(ExecuteSalesRepCommand)
export class ExecuteSalesRepCommandHandler implements ICommandHandler<ExecuteSalesRepCommand, WriteResult> {
  constructor(private readonly aggregates: Aggregates) {}

  async execute({ command, write }: ExecuteSalesRepCommand): Promise<WriteResult> {
    const { repId } = command.data;
    let full: SalesRepCommand;
    switch (command.type) {
      case 'RegisterSalesRep':
        full = { type: command.type, data: { ...command.data, teamExists: await this.teamExists(command.data.teamId) } };
        break;
      case 'ChangeSalesRep':
        full = { type: command.type, data: { ...command.data, teamExists: await this.teamExists(command.data.teamId) } };
        break;
      default:
        full = command;
    }
    return this.aggregates.handle(streamId('salesRep', repId), repId, salesRepsDecider, full, write);
  }

  private async teamExists(teamId: string | null | undefined): Promise<boolean> {
    if (!teamId) return false;
    return (await this.aggregates.load(streamId('salesTeam', teamId), salesTeamsDecider)).state.status !== 'none';
  }
}
