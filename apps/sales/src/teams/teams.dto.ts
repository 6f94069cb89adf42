import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsISO4217CurrencyCode, IsOptional, IsString, IsUUID, Length, Matches, MaxLength } from 'class-validator';
import { DECIMAL_AMOUNT, SALES_PERIOD } from '@clientela/contracts';
import { PageQuery } from '@clientela/service-kit';
import { sortsOf } from '../pipelines/pipelines.dto';
import { OptionalNotNull } from '../validation/optional';

const period = { message: 'period must be a month (2027-01) or a quarter (2027-Q1)' };

export class CreateSalesTeamDto {
  @IsString() @Length(1, 200) name!: string;
}

export class RenameSalesTeamDto {
  @IsString() @Length(1, 200) name!: string;
}

export class RegisterSalesRepDto {
  /** The id deals name as their owner; new when absent. */
  @OptionalNotNull() @IsUUID() id?: string;
  @IsString() @Length(1, 200) name!: string;
  @OptionalNotNull() @IsString() @MaxLength(254) @IsEmail() email?: string;
  @OptionalNotNull() @IsUUID() teamId?: string;
}

/** Absent fields stay; null clears the email or takes the rep out of its team. */
export class UpdateSalesRepDto {
  @OptionalNotNull() @IsString() @Length(1, 200) name?: string;
  @IsOptional() @IsString() @MaxLength(254) @IsEmail() email?: string | null;
  @IsOptional() @IsUUID() teamId?: string | null;
}

export class SetQuotaDto {
  @Matches(DECIMAL_AMOUNT, { message: 'amount must be a decimal string such as 50000.00' }) amount!: string;
  @IsISO4217CurrencyCode() currency!: string;
}

export class IdParams {
  @IsUUID() id!: string;
}

export class QuotaParams {
  @IsUUID() id!: string;
  @Matches(SALES_PERIOD, period) period!: string;
}

export class ListSalesTeamsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'prefix of the name' }) @IsOptional() @IsString() @Length(1, 200) name?: string;
  @ApiPropertyOptional({ enum: sortsOf(['name', 'createdAt']), default: 'name' }) @IsOptional() @IsIn(sortsOf(['name', 'createdAt'])) sort?: string;
}

export class ListSalesRepsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'prefix of the name' }) @IsOptional() @IsString() @Length(1, 200) name?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID() team?: string;
  @ApiPropertyOptional({ enum: sortsOf(['name', 'registeredAt']), default: 'name' }) @IsOptional() @IsIn(sortsOf(['name', 'registeredAt'])) sort?: string;
}

export class ListQuotasQuery extends PageQuery {
  @ApiPropertyOptional() @IsOptional() @IsUUID() rep?: string;
  @ApiPropertyOptional({ description: '2027-01 or 2027-Q1' }) @IsOptional() @Matches(SALES_PERIOD, period) period?: string;
  @ApiPropertyOptional({ enum: sortsOf(['period', 'amount']), default: 'period' }) @IsOptional() @IsIn(sortsOf(['period', 'amount'])) sort?: string;
}
