import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { Injectable } from '@nestjs/common';
import { CONTACT_CUSTOM_FIELDS_STREAM } from '@clientela/contracts';
import { Aggregates, type WriteRequest, type WriteResult } from '@clientela/service-kit';
import { customFieldsDecider, type CustomFieldCommand, type CustomFieldDefinition } from './custom-fields.decider';

export class ExecuteCustomFieldCommand {
  constructor(
    readonly command: CustomFieldCommand,
    readonly write: WriteRequest,
  ) {}
}

@CommandHandler(ExecuteCustomFieldCommand)
export class ExecuteCustomFieldCommandHandler implements ICommandHandler<ExecuteCustomFieldCommand, WriteResult> {
  constructor(private readonly aggregates: Aggregates) {}

  execute({ command, write }: ExecuteCustomFieldCommand): Promise<WriteResult> {
    return this.aggregates.handle(CONTACT_CUSTOM_FIELDS_STREAM, command.data.key, customFieldsDecider, command, write);
  }
}

/**
 * The current definitions, read from their stream (not a read model): a field defined a moment ago
 * is already known to the next command, and the stream is small (at most 200 live fields).
 */
@Injectable()
export class CustomFieldDefinitions {
  constructor(private readonly aggregates: Aggregates) {}

  async all(): Promise<{ fields: Record<string, CustomFieldDefinition>; revision: number }> {
    const loaded = await this.aggregates.load(CONTACT_CUSTOM_FIELDS_STREAM, customFieldsDecider);
    return { fields: loaded.state.fields, revision: loaded.revision };
  }

  async live(): Promise<CustomFieldDefinition[]> {
    return Object.values((await this.all()).fields)
      .filter((f) => !f.retired)
      .sort((a, b) => a.key.localeCompare(b.key));
  }
}

