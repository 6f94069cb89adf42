import { Module } from '@nestjs/common';
import { OrdersController } from './orders.controller';
import { OrdersQueries } from './orders.queries';

@Module({ controllers: [OrdersController], providers: [OrdersQueries] })
export class OrdersModule {}
