import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { streamId } from '@clientela/contracts';
import { Aggregates, type WriteRequest, type WriteResult } from '@clientela/service-kit';
import { leadsDecider, type LeadCommand } from './leads.decider';

/** A lead command that touches only the lead: capture, change, qualify. Conversion has its own handler. */
export class ExecuteLeadCommand {
  constructor(
    readonly command: Exclude<LeadCommand, { type: 'ConvertLead' }>,
    readonly write: WriteRequest,
  ) {}
}

@CommandHandler(ExecuteLeadCommand)
export class ExecuteLeadCommandHandler implements ICommandHandler<ExecuteLeadCommand, WriteResult> {
  constructor(private readonly aggregates: Aggregates) {}

  execute({ command, write }: ExecuteLeadCommand): Promise<WriteResult> {
    const { leadId } = command.data;
    return this.aggregates.handle(streamId('lead', leadId), leadId, leadsDecider, command, write);
  }
}
