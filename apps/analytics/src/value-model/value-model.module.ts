import { Module } from '@nestjs/common';
import { ValueModelController } from './value-model.controller';
import { CustomerValueQueries } from './value-model.queries';
import { ValueModelService } from './value-model.service';

@Module({ controllers: [ValueModelController], providers: [ValueModelService, CustomerValueQueries], exports: [ValueModelService] })
export class ValueModelModule {}
