import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { streamId } from '@clientela/contracts';
import { Aggregates, type WriteRequest, type WriteResult } from '@clientela/service-kit';
import { pipelinesDecider } from '../pipelines/pipelines.decider';
import { dealsDecider, type DealCommand, type PipelineSnapshot } from './deals.decider';

/** A deal command as a controller (or a consumer) builds it: the handler adds the pipeline it reads. */
export type DealRequest = DealCommand extends infer C ? (C extends { data: { pipeline: PipelineSnapshot } } ? { type: C['type' & keyof C]; data: Omit<C['data' & keyof C], 'pipeline'> } : C) : never;

export class ExecuteDealCommand {
  constructor(
    readonly command: DealRequest,
    readonly write: WriteRequest,
  ) {}
}

/**
 * One handler for every deal command. Opening, moving and reopening need the deal's pipeline: it is
 * read from its stream here (not from a read model that could lag) and given to the decider, which
 * decides whether the stage belongs to it.
 */
@CommandHandler(ExecuteDealCommand)
export class ExecuteDealCommandHandler implements ICommandHandler<ExecuteDealCommand, WriteResult> {
  constructor(private readonly aggregates: Aggregates) {}

  async execute({ command, write }: ExecuteDealCommand): Promise<WriteResult> {
    const { dealId } = command.data;
    const stream = streamId('deal', dealId);
    return this.aggregates.handle(stream, dealId, dealsDecider, await this.withPipeline(command, stream), write);
  }

  private async withPipeline(request: DealRequest, stream: ReturnType<typeof streamId>): Promise<DealCommand> {
    switch (request.type) {
      case 'OpenDeal':
        return { type: request.type, data: { ...request.data, pipeline: await this.pipeline(request.data.pipelineId) } };
      case 'MoveDealStage':
        return { type: request.type, data: { ...request.data, pipeline: await this.pipelineOfDeal(stream) } };
      case 'ReopenDeal':
        return { type: request.type, data: { ...request.data, pipeline: await this.pipelineOfDeal(stream) } };
      default:
        return request;
    }
  }

  /** The pipeline of the deal (null when there is no deal: the decider answers 404). */
  private async pipelineOfDeal(stream: ReturnType<typeof streamId>): Promise<PipelineSnapshot> {
    const deal = await this.aggregates.load(stream, dealsDecider);
    return deal.state.status === 'none' ? null : this.pipeline(deal.state.pipelineId);
  }

  private async pipeline(pipelineId: string): Promise<PipelineSnapshot> {
    const { state } = await this.aggregates.load(streamId('pipeline', pipelineId), pipelinesDecider);
    return state.status === 'none' ? null : { pipelineId, stages: state.stages };
  }
}
