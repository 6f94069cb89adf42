import { Module } from '@nestjs/common';
import { ReportsController } from './reports.controller';
import { ReportsQueries } from './reports.queries';

@Module({ controllers: [ReportsController], providers: [ReportsQueries] })
export class ReportsModule {}
