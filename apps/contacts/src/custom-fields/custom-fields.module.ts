import { Module } from '@nestjs/common';
import { CustomFieldDefinitions, ExecuteCustomFieldCommandHandler } from './custom-field-command';
import { CustomFieldsController } from './custom-fields.controller';

@Module({
  controllers: [CustomFieldsController],
  providers: [ExecuteCustomFieldCommandHandler, CustomFieldDefinitions],
  exports: [CustomFieldDefinitions],
})
export class CustomFieldsModule {}
