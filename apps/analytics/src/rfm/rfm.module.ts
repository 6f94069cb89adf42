import { Module } from '@nestjs/common';
import { RfmController } from './rfm.controller';
import { RfmQueries } from './rfm.queries';

@Module({ controllers: [RfmController], providers: [RfmQueries] })
export class RfmModule {}
