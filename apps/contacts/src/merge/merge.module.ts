import { Module } from '@nestjs/common';
import { ExecuteMergeCommandHandler } from './merge-command';
import { MergeController } from './merge.controller';

/** Merge and unmerge of two contacts (`ContactMerged`, `ContactUnmerged`): nothing is rewritten, read models map members to their survivor. */
@Module({ controllers: [MergeController], providers: [ExecuteMergeCommandHandler] })
export class MergeModule {}
