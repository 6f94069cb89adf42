import { Module } from '@nestjs/common';
import { ExecutePipelineCommandHandler } from './pipeline-command';
import { PipelinesController } from './pipelines.controller';
import { PipelinesQueries } from './pipelines.queries';

@Module({
  controllers: [PipelinesController],
  providers: [ExecutePipelineCommandHandler, PipelinesQueries],
})
export class PipelinesModule {}
