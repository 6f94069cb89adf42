import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { streamId } from '@clientela/contracts';
import { Aggregates, type WriteRequest, type WriteResult } from '@clientela/service-kit';
import { CustomFieldDefinitions } from '../custom-fields/custom-field-command';
import { contactsDecider, type ContactCommand } from './contacts.decider';

/** A contact command on its way to the decider, with the request's metadata and preconditions. */
export class ExecuteContactCommand {
  constructor(
    readonly command: ContactCommand,
    readonly write: WriteRequest,
  ) {}
}

/**
 * One handler for every contact command: the rules live in the decider, so a handler per command
 * would be the same three lines eight times (see docs/architecture.md, "How a service is built").
 */
@CommandHandler(ExecuteContactCommand)
export class ExecuteContactCommandHandler implements ICommandHandler<ExecuteContactCommand, WriteResult> {
  constructor(
    private readonly aggregates: Aggregates,
    private readonly customFields: CustomFieldDefinitions,
  ) {}

  async execute({ command, write }: ExecuteContactCommand): Promise<WriteResult> {
    const { contactId } = command.data;
    return this.aggregates.handle(streamId('contact', contactId), contactId, contactsDecider, await this.withDefinitions(command), write);
  }

  /** Custom values are checked by the decider against the definitions, which the decider cannot load itself. */
  private async withDefinitions(command: ContactCommand): Promise<ContactCommand> {
    if ((command.type !== 'RegisterContact' && command.type !== 'UpdateContact') || !command.data.customFields) return command;
    const { fields } = await this.customFields.all();
    return { ...command, data: { ...command.data, customFields: { values: command.data.customFields.values, definitions: fields } } } as ContactCommand;
  }
}
