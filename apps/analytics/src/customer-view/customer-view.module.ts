import { Module } from '@nestjs/common';
import { CustomerViewController } from './customer-view.controller';
import { CustomerViewQueries } from './customer-view.queries';

@Module({ controllers: [CustomerViewController], providers: [CustomerViewQueries] })
export class CustomerViewModule {}
