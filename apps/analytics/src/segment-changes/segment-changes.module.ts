import { Module } from '@nestjs/common';
import { SegmentChangesController } from './segment-changes.controller';
import { SegmentChangesService } from './segment-changes.service';

@Module({ controllers: [SegmentChangesController], providers: [SegmentChangesService] })
export class SegmentChangesModule {}
