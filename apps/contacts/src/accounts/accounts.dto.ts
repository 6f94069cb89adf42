import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsObject, IsOptional, IsString, IsUUID, Length, Matches, MaxLength, ValidateNested } from 'class-validator';
import { ACCOUNT_SIZES, PostalAddress, type AccountSize } from '@clientela/contracts';
import { PageQuery } from '@clientela/service-kit';

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
/** A domain as people type it: `example.com`, `www.example.com`, `https://www.example.com/about`; stored normalised. */
export const DOMAIN_INPUT = new RegExp(`^\\s*(?:https?://)?${LABEL}(?:\\.${LABEL})+\\.?(?::\\d{1,5})?(?:[/?#][^\\s]*)?\\s*$`);
const domainMessage = { message: 'domain must be a domain name such as example.com (a scheme, www. and a path are dropped)' };

/** Fields a create and an update share; in an update, absent means unchanged and null clears (but never the name). */
class AccountFieldsDto {
  @IsOptional() @IsString() @MaxLength(300) @Matches(DOMAIN_INPUT, domainMessage) domain?: string | null;
  @IsOptional() @IsString() @Length(1, 100) industry?: string | null;
  @IsOptional() @IsIn(ACCOUNT_SIZES) size?: AccountSize | null;
  @IsOptional() @IsObject() @ValidateNested() @Type(() => PostalAddress) address?: PostalAddress | null;
  @IsOptional() @IsUUID() ownerId?: string | null;
}

export class CreateAccountDto extends AccountFieldsDto {
  @IsString() @Length(1, 200) name!: string;
}

export class UpdateAccountDto extends AccountFieldsDto {
  /** null is refused by the decider (422): an account always has a name. */
  @IsOptional() @IsString() @Length(1, 200) name?: string | null;
}

export class ArchiveAccountDto {
  @IsOptional() @IsString() @MaxLength(500) reason?: string;
}

export class AccountIdParams {
  @IsUUID() id!: string;
}

export const ACCOUNT_SORTS = ['name', 'registeredAt', 'updatedAt'] as const;
const sorts = (names: readonly string[]) => [...names, ...names.map((s) => `-${s}`)];

export class ListAccountsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'prefix of the name (case-insensitive)' })
  @IsOptional() @IsString() @Length(1, 200) name?: string;
  @ApiPropertyOptional({ description: 'the domain, normalised as stored (example.com)' })
  @IsOptional() @IsString() @MaxLength(300) @Matches(DOMAIN_INPUT, domainMessage) domain?: string;
  @ApiPropertyOptional({ description: 'the industry (case-insensitive)' })
  @IsOptional() @IsString() @Length(1, 100) industry?: string;
  @ApiPropertyOptional({ enum: ACCOUNT_SIZES }) @IsOptional() @IsIn(ACCOUNT_SIZES) size?: AccountSize;
  @ApiPropertyOptional() @IsOptional() @IsUUID() owner?: string;
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'only archived (true) or only active (false) accounts; both when absent' })
  @IsOptional() @IsIn(['true', 'false']) archived?: 'true' | 'false';
  @ApiPropertyOptional({ enum: sorts(ACCOUNT_SORTS), default: 'registeredAt' })
  @IsOptional() @IsIn(sorts(ACCOUNT_SORTS)) sort?: string;
}

export const ACCOUNT_CONTACT_SORTS = ['name', 'registeredAt'] as const;

export class ListAccountContactsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: sorts(ACCOUNT_CONTACT_SORTS), default: 'name' })
  @IsOptional() @IsIn(sorts(ACCOUNT_CONTACT_SORTS)) sort?: string;
}
