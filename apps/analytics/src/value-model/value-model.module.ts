import { Module } from '@nestjs/common';
import { ValueModelController } from './value-model.controller';
import { ValueModelService } from './value-model.service';

@Module({ controllers: [ValueModelController], providers: [ValueModelService] })
export class ValueModelModule {}
