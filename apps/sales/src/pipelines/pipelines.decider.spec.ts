import { ConflictError, DomainRuleError, NotFoundError, type PipelineEvent, type PipelineStage } from '@clientela/contracts';
import { deciderSpec } from '@clientela/testing';
import { pipelinesDecider, type PipelineCommand } from './pipelines.decider';

const given = deciderSpec(pipelinesDecider);
const pipelineId = '7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const now = '2026-12-01T10:00:00.000Z';
const stages: PipelineStage[] = [
  { stageId: 'qualify', name: 'Qualify', probability: 10 },
  { stageId: 'proposal', name: 'Proposal', probability: 50 },
];
const created: PipelineEvent = { type: 'PipelineCreated', data: { pipelineId, name: 'New business', stages, createdAt: now } };
const change = (data: Omit<Extract<PipelineCommand, { type: 'ChangePipeline' }>['data'], 'pipelineId' | 'now'>): PipelineCommand => ({
  type: 'ChangePipeline',
  data: { pipelineId, now, ...data },
});

describe('pipelines decider', () => {
  describe('when there is no pipeline', () => {
    it('creates one with its stages in order', () =>
      given([]).when({ type: 'CreatePipeline', data: { pipelineId, now, name: 'New business', stages } }).then([created]));

    it('refuses a pipeline without stages', () =>
      given([]).when({ type: 'CreatePipeline', data: { pipelineId, now, name: 'Empty', stages: [] } }).thenThrows(DomainRuleError, /at least one stage/));

    it('refuses a stage listed twice', () =>
      given([])
        .when({ type: 'CreatePipeline', data: { pipelineId, now, name: 'Twice', stages: [...stages, { stageId: 'qualify', name: 'Again', probability: 20 }] } })
        .thenThrows(DomainRuleError, /listed twice/));

    it('refuses a probability outside 0 to 100', () =>
      given([])
        .when({ type: 'CreatePipeline', data: { pipelineId, now, name: 'Odd', stages: [{ stageId: 'x', name: 'X', probability: 101 }] } })
        .thenThrows(DomainRuleError, /0 to 100/));

    it('refuses a pipeline without a name', () =>
      given([]).when({ type: 'CreatePipeline', data: { pipelineId, now, name: '  ', stages } }).thenThrows(DomainRuleError, /needs a name/));

    it('refuses to change a pipeline that does not exist', () => given([]).when(change({ name: 'X' })).thenThrows(NotFoundError));
  });

  describe('when the pipeline exists', () => {
    it('refuses to create it again', () =>
      given([created]).when({ type: 'CreatePipeline', data: { pipelineId, now, name: 'Again', stages } }).thenThrows(ConflictError));

    it('renames it, re-weights, reorders and adds stages', () => {
      const next: PipelineStage[] = [
        { stageId: 'qualify', name: 'Qualify', probability: 20 },
        { stageId: 'demo', name: 'Demo', probability: 35 },
        { stageId: 'proposal', name: 'Proposal sent', probability: 60 },
      ];
      return given([created]).when(change({ name: 'Renewals', stages: next })).then([{ type: 'PipelineChanged', data: { pipelineId, name: 'Renewals', stages: next, changedAt: now } }]);
    });

    it('refuses to remove a stage, since deals may stand in it', () =>
      given([created]).when(change({ stages: [stages[0]] })).thenThrows(DomainRuleError, /cannot be removed.*proposal/));

    it('does nothing when nothing changes', () => given([created]).when(change({ name: 'New business', stages })).thenNothingHappens());

    it('holds changed stages to the rules of new ones: some, each once, probability 0 to 100', () => {
      given([created]).when(change({ stages: [] })).thenThrows(DomainRuleError, /at least one stage/);
      given([created]).when(change({ stages: [...stages, stages[0]] })).thenThrows(DomainRuleError, /listed twice/);
      given([created]).when(change({ stages: [stages[0], { ...stages[1], probability: -1 }] })).thenThrows(DomainRuleError, /0 to 100/);
      given([created]).when(change({ stages: [{ ...stages[0], probability: 12.5 }, stages[1]] })).thenThrows(DomainRuleError, /0 to 100/);
    });

    it('refuses an empty name', () => given([created]).when(change({ name: '  ' })).thenThrows(DomainRuleError, /needs a name/));
  });
});
