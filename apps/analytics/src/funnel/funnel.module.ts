import { Module } from '@nestjs/common';
import { FunnelController } from './funnel.controller';
import { FunnelQueries } from './funnel.queries';

@Module({ controllers: [FunnelController], providers: [FunnelQueries] })
export class FunnelModule {}
