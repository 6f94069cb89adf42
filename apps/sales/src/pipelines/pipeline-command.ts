import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { streamId } from '@clientela/contracts';
import { Aggregates, type WriteRequest, type WriteResult } from '@clientela/service-kit';
import { pipelinesDecider, type PipelineCommand } from './pipelines.decider';

export class ExecutePipelineCommand {
  constructor(
    readonly command: PipelineCommand,
    readonly write: WriteRequest,
  ) {}
}

/** One handler for every pipeline command: the rules live in the decider. */
@CommandHandler(ExecutePipelineCommand)
export class ExecutePipelineCommandHandler implements ICommandHandler<ExecutePipelineCommand, WriteResult> {
  constructor(private readonly aggregates: Aggregates) {}

  execute({ command, write }: ExecutePipelineCommand): Promise<WriteResult> {
    const { pipelineId } = command.data;
    return this.aggregates.handle(streamId('pipeline', pipelineId), pipelineId, pipelinesDecider, command, write);
  }
}
