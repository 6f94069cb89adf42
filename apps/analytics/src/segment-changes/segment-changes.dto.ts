import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO4217CurrencyCode, IsISO8601, IsOptional, Matches } from 'class-validator';
import { DAY } from '../rfm/rfm.dto';

const DAY_MESSAGE = { message: '$property must be a date, YYYY-MM-DD' };

export class PublishSegmentChangesBody {
  @ApiPropertyOptional({ description: 'the day RFM is computed as of (YYYY-MM-DD), not after today; default yesterday (UTC)', example: '1998-06-30' })
  @IsOptional()
  @Matches(DAY, DAY_MESSAGE)
  @IsISO8601({ strict: true }, DAY_MESSAGE)
  asOf?: string;

  @ApiPropertyOptional({ default: 'USD' }) @IsOptional() @IsISO4217CurrencyCode() currency?: string;
}
