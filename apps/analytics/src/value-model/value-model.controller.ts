import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { NotFoundError } from '@clientela/contracts';
import { ReadYourWrites } from '@clientela/projections';
import { answerList, ApiProblems, ApiReadHeaders } from '@clientela/service-kit';
import { PURCHASE_READ_MODELS } from '../purchases/purchases.sql';
import { DEFAULT_CURRENCY } from '../rfm/rfm.dto';
import { todayUtc } from '../rfm/rfm.queries';
import { predictValue } from './customer-value';
import { CustomerIdParams, CustomerValueQuery, ListCustomerValueQuery, ValueModelQuery } from './value-model.dto';
import { CustomerValueQueries } from './value-model.queries';
import { ValueModelService } from './value-model.service';

@ApiTags('analytics')
@Controller('api/v1/analytics')
export class ValueModelController {
  constructor(
    private readonly values: ValueModelService,
    private readonly list: CustomerValueQueries,
  ) {}

  @Get('value-model')
  @ReadYourWrites(...PURCHASE_READ_MODELS)
  @ApiReadHeaders()
  @ApiOkResponse({ description: 'BG/NBD and Gamma-Gamma parameters fitted by maximum likelihood on the purchases up to `calibrationEnd` (time in weeks, one purchase per day)' })
  @ApiProblems(400, 422, 503)
  async model(@Query() query: ValueModelQuery) {
    const { calibrationEnd, currency, customers, bgnbd, gammaGamma } = await this.values.model(query.calibrationEnd, query.currency ?? DEFAULT_CURRENCY);
    return { calibrationEnd, currency, customers, bgnbd, gammaGamma };
  }

  @Get('customer-value')
  @ReadYourWrites(...PURCHASE_READ_MODELS)
  @ApiReadHeaders()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'every customer of the model with P(alive), expected purchases and spend, predicted value and net revenue to date; with Accept: text/csv the whole filtered list' })
  @ApiProblems(400, 422, 503)
  customers(@Query() query: ListCustomerValueQuery, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    return answerList(reply, accept, `customer-value-${query.calibrationEnd}.csv`, () => this.list.list(query), () => this.list.csv(query));
  }

  @Get('customer-value/:customerId')
  @ReadYourWrites(...PURCHASE_READ_MODELS)
  @ApiReadHeaders()
  @ApiOkResponse({ description: 'one customer\'s P(alive), expected purchases and spend, predicted value over the horizon (discounted) and historic value (net revenue to date times the margin)' })
  @ApiProblems(400, 404, 422, 503)
  async customer(@Param() { customerId }: CustomerIdParams, @Query() query: CustomerValueQuery) {
    const calibrationEnd = query.calibrationEnd ?? todayUtc(new Date());
    const currency = query.currency ?? DEFAULT_CURRENCY;
    const options = { horizonWeeks: query.horizonWeeks ?? 52, discountRate: query.discountRate ?? 0.1, margin: query.margin ?? '1' };
    const summary = await this.values.customer(customerId, calibrationEnd, currency);
    if (!summary) throw new NotFoundError(`customer ${customerId} has no purchase in ${currency} on or before ${calibrationEnd}`);
    const model = await this.values.model(calibrationEnd, currency);
    const predicted = predictValue(model.bgnbd, model.gammaGamma, summary, { ...options, margin: Number(options.margin) });
    return {
      customerId,
      calibrationEnd,
      currency,
      repeatPurchases: summary.x,
      weeksToLastPurchase: summary.tx,
      weeksSinceFirstPurchase: summary.T,
      ...predicted,
      horizonWeeks: options.horizonWeeks,
      discountRate: options.discountRate,
      margin: options.margin,
      historic: await this.values.historicValue(customerId, calibrationEnd, currency, options.margin),
    };
  }
}
