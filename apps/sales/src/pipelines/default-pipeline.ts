import type { PipelineStage } from '@clientela/contracts';

/**
 * The pipeline converted leads open their deals in: one well-known id, created with these stages
 * the first time a lead converts, and edited like any other (`PATCH /pipelines/<id>`).
 */
export const DEFAULT_PIPELINE_ID = '00000000-0000-4000-8000-00000000d341';
export const DEFAULT_PIPELINE_NAME = 'Sales';
export const DEFAULT_PIPELINE_STAGES: PipelineStage[] = [
  { stageId: 'qualify', name: 'Qualify', probability: 10 },
  { stageId: 'meet', name: 'Meet and present', probability: 25 },
  { stageId: 'propose', name: 'Propose', probability: 50 },
  { stageId: 'negotiate', name: 'Negotiate', probability: 75 },
  { stageId: 'commit', name: 'Commit', probability: 90 },
];
