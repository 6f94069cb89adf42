import { ConflictError, DomainRuleError, NotFoundError, type Decider, type PipelineEvent, type PipelineStage } from '@clientela/contracts';

export type PipelineState = { status: 'none' } | { status: 'active'; pipelineId: string; name: string; stages: PipelineStage[] };

export type PipelineCommand =
  | { type: 'CreatePipeline'; data: { pipelineId: string; now: string; name: string; stages: PipelineStage[] } }
  /** Absent fields stay; `stages` is the whole new list, in order. */
  | { type: 'ChangePipeline'; data: { pipelineId: string; now: string; name?: string; stages?: PipelineStage[] } };

/** A stage of a pipeline, or undefined: the one test of "the stage belongs to the pipeline". */
export const stageOf = (pipeline: { stages: readonly PipelineStage[] }, stageId: string): PipelineStage | undefined =>
  pipeline.stages.find((s) => s.stageId === stageId);

const assertStages = (stages: readonly PipelineStage[]): PipelineStage[] => {
  if (stages.length === 0) throw new DomainRuleError('a pipeline needs at least one stage', 'pipeline_needs_stages');
  const seen = new Set<string>();
  for (const stage of stages) {
    if (seen.has(stage.stageId)) throw new DomainRuleError(`stage ${stage.stageId} is listed twice`, 'duplicate_stage');
    if (!Number.isInteger(stage.probability) || stage.probability < 0 || stage.probability > 100) {
      throw new DomainRuleError(`stage ${stage.stageId}: probability must be 0 to 100`, 'invalid_probability');
    }
    seen.add(stage.stageId);
  }
  return stages.map(({ stageId, name, probability }) => ({ stageId, name, probability }));
};

const sameStages = (a: readonly PipelineStage[], b: readonly PipelineStage[]): boolean => JSON.stringify(a) === JSON.stringify(b);

export const initialState = (): PipelineState => ({ status: 'none' });

export const evolve = (state: PipelineState, event: PipelineEvent): PipelineState => {
  switch (event.type) {
    case 'PipelineCreated':
      return { status: 'active', pipelineId: event.data.pipelineId, name: event.data.name, stages: event.data.stages };
    case 'PipelineChanged':
      if (state.status === 'none') return state;
      return { ...state, name: event.data.name ?? state.name, stages: event.data.stages ?? state.stages };
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
};

export const decide = (command: PipelineCommand, state: PipelineState): PipelineEvent[] => {
  const { pipelineId, now } = command.data;
  switch (command.type) {
    case 'CreatePipeline': {
      if (state.status !== 'none') throw new ConflictError(`pipeline ${pipelineId} already exists`);
      if (!command.data.name.trim()) throw new DomainRuleError('a pipeline needs a name', 'pipeline_needs_name');
      return [{ type: 'PipelineCreated', data: { pipelineId, name: command.data.name, stages: assertStages(command.data.stages), createdAt: now } }];
    }
    case 'ChangePipeline': {
      if (state.status === 'none') throw new NotFoundError(`pipeline ${pipelineId} not found`);
      const { name, stages } = command.data;
      if (name !== undefined && !name.trim()) throw new DomainRuleError('a pipeline needs a name', 'pipeline_needs_name');
      const next = stages === undefined ? undefined : assertStages(stages);
      // Deals stand in stages: one that disappeared would leave them nowhere.
      const removed = next ? state.stages.filter((s) => !stageOf({ stages: next }, s.stageId)) : [];
      if (removed.length > 0) {
        throw new DomainRuleError(`stages cannot be removed (deals may stand in them): ${removed.map((s) => s.stageId).join(', ')}`, 'stage_removed');
      }
      const changed = {
        ...(name !== undefined && name !== state.name ? { name } : {}),
        ...(next && !sameStages(next, state.stages) ? { stages: next } : {}),
      };
      if (Object.keys(changed).length === 0) return [];
      return [{ type: 'PipelineChanged', data: { pipelineId, ...changed, changedAt: now } }];
    }
    default: {
      const unreachable: never = command;
      return unreachable;
    }
  }
};

export const pipelinesDecider: Decider<PipelineState, PipelineCommand, PipelineEvent> = { initialState, evolve, decide };
