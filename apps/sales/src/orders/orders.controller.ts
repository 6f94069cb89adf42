import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ReadYourWrites } from '@clientela/projections';
import { answerList, ApiProblems, ApiReadHeaders } from '@clientela/service-kit';
import { CustomerIdParams, ListCustomerRevenueQuery, ListOrdersQuery, OrderIdParams } from './orders.dto';
import { ORDERS_PROJECTION } from './orders.projection';
import { OrdersQueries } from './orders.queries';

// Orders are not written here: they come from won deals and from the orders ingested by contacts.
@ApiTags('orders')
@Controller('api/v1')
export class OrdersController {
  constructor(private readonly queries: OrdersQueries) {}

  @Get('orders')
  @ReadYourWrites(ORDERS_PROJECTION)
  @ApiReadHeaders()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'a page of orders (won deals and ingested orders, refunds subtracted in `net`); with Accept: text/csv the whole filtered list' })
  @ApiProblems(400, 503)
  list(@Query() query: ListOrdersQuery, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    return answerList(reply, accept, 'orders.csv', () => this.queries.list(query), () => this.queries.csv(query));
  }

  @Get('orders/:id')
  @ReadYourWrites(ORDERS_PROJECTION)
  @ApiReadHeaders()
  @ApiOkResponse({ description: 'the order with what was refunded and its net' })
  @ApiProblems(400, 404, 503)
  get(@Param() { id }: OrderIdParams) {
    return this.queries.get(id);
  }

  @Get('customer-revenue')
  @ReadYourWrites(ORDERS_PROJECTION)
  @ApiReadHeaders()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'per customer and currency: order count, gross, refunded and net revenue; with Accept: text/csv the whole list' })
  @ApiProblems(400, 503)
  revenue(@Query() query: ListCustomerRevenueQuery, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    return answerList(reply, accept, 'customer-revenue.csv', () => this.queries.revenue(query), () => this.queries.revenueCsv(query));
  }

  @Get('customer-revenue/:customerId')
  @ReadYourWrites(ORDERS_PROJECTION)
  @ApiReadHeaders()
  @ApiOkResponse({ description: 'one customer\'s order count and revenue per currency (an empty list: no orders), the orders of the customers merged into it included' })
  @ApiProblems(400, 503)
  customer(@Param() { customerId }: CustomerIdParams) {
    return this.queries.customer(customerId);
  }
}
