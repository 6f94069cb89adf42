import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsObject,
  IsISO31661Alpha2,
  IsInt,
  Max,
  Min,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import {
  CONSENT_PURPOSES,
  CONTACT_CHANNELS,
  E164,
  LANGUAGE_TAG,
  LIFECYCLE_STAGES,
  PostalAddress,
  PREFERRED_CHANNELS,
  TOKEN,
  type ConsentPurpose,
  type ContactChannel,
  type LifecycleStage,
  type PreferredChannel,
} from '@clientela/contracts';
import { PageQuery } from '@clientela/service-kit';

export class IdentityDto {
  @Matches(TOKEN, { message: 'source must be a short token: letters, digits and . _ : / @ + -' }) source!: string;
  @IsString() @Length(1, 200) externalId!: string;
}

export class ConsentDto {
  @IsIn(CONTACT_CHANNELS) channel!: ContactChannel;
  @IsIn(CONSENT_PURPOSES) purpose!: ConsentPurpose;
  @Matches(TOKEN) source!: string;
}

/** Fields a create and an update share; in an update, absent means unchanged and null clears. */
class ContactFieldsDto {
  @IsOptional() @IsString() @Length(1, 100) givenName?: string | null;
  @IsOptional() @IsString() @Length(1, 100) familyName?: string | null;
  @IsOptional() @Matches(LANGUAGE_TAG, { message: 'language must be a BCP 47 tag such as en or pt-BR' }) language?: string | null;
  @IsOptional() @IsIn(PREFERRED_CHANNELS) preferredChannel?: PreferredChannel | null;
  @IsOptional() @IsObject() @ValidateNested() @Type(() => PostalAddress) address?: PostalAddress | null;
  @IsOptional() @IsUUID() ownerId?: string | null;
  @IsOptional() @IsUUID() accountId?: string | null;
  /** The first is the primary one. */
  @IsOptional() @IsArray() @ArrayMaxSize(20) @IsEmail({}, { each: true }) @MaxLength(254, { each: true }) emails?: string[];
  @IsOptional() @IsArray() @ArrayMaxSize(20) @Matches(E164, { each: true, message: 'each phone must be in E.164 form, e.g. +4915112345678' }) phones?: string[];
  @IsOptional() @IsArray() @ArrayMaxSize(50) @Matches(TOKEN, { each: true, message: 'each tag must be a short token' }) tags?: string[];
  /** Values of defined custom fields by key (checked against their definitions); null clears one. */
  @IsOptional() @IsObject() customFields?: Record<string, unknown>;
}

export class CreateContactDto extends ContactFieldsDto {
  @IsOptional() @IsArray() @ArrayMaxSize(50) @ValidateNested({ each: true }) @Type(() => IdentityDto) identities?: IdentityDto[];
  @IsOptional() @IsIn(LIFECYCLE_STAGES) lifecycleStage?: LifecycleStage;
  @IsOptional() @IsArray() @ArrayMaxSize(6) @ValidateNested({ each: true }) @Type(() => ConsentDto) consents?: ConsentDto[];
}

export class UpdateContactDto extends ContactFieldsDto {}

export class ChangeStageDto {
  @IsIn(LIFECYCLE_STAGES) stage!: LifecycleStage;
  @IsOptional() @IsString() @MaxLength(500) reason?: string;
}

export class SetConsentDto {
  @IsBoolean() granted!: boolean;
  @Matches(TOKEN) source!: string;
}

export class UnsubscribeDto {
  @IsOptional() @IsIn(CONTACT_CHANNELS) channel?: ContactChannel;
  @Matches(TOKEN) source!: string;
}

export class ContactIdParams {
  @IsUUID() id!: string;
}

export class ConsentParams extends ContactIdParams {
  @IsIn(CONTACT_CHANNELS) channel!: ContactChannel;
  @IsIn(CONSENT_PURPOSES) purpose!: ConsentPurpose;
}

export class IdentityParams extends ContactIdParams {
  @Matches(TOKEN) source!: string;
  @IsString() @Length(1, 200) externalId!: string;
}

export const CONTACT_SORTS = ['name', 'registeredAt', 'updatedAt'] as const;

export class ListContactsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'prefix of the given or family name (case-insensitive)' })
  @IsOptional() @IsString() @Length(1, 100) name?: string;
  @ApiPropertyOptional({ description: 'prefix of any of the emails (case-insensitive)' })
  @IsOptional() @IsString() @Length(1, 254) email?: string;
  @ApiPropertyOptional({ description: 'prefix of any of the phones, E.164 (+49...)' })
  @IsOptional() @Matches(/^\+?\d{1,15}$/, { message: 'phone must be digits, optionally after +' }) phone?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(TOKEN) tag?: string;
  @ApiPropertyOptional({ enum: LIFECYCLE_STAGES }) @IsOptional() @IsIn(LIFECYCLE_STAGES) stage?: LifecycleStage;
  @ApiPropertyOptional() @IsOptional() @IsUUID() owner?: string;
  @ApiPropertyOptional({ description: 'ISO 3166-1 alpha-2' }) @IsOptional() @IsISO31661Alpha2() country?: string;
  @ApiPropertyOptional({ enum: [...CONTACT_SORTS, ...CONTACT_SORTS.map((s) => `-${s}`)], default: 'registeredAt' })
  @IsOptional()
  @IsIn([...CONTACT_SORTS, ...CONTACT_SORTS.map((s) => `-${s}`)])
  sort?: string;
}

export class HistoryQuery {
  @ApiPropertyOptional({ description: 'first entry to return, counting from 0 (for a contact with nothing merged into it, its revision): the nextFrom of the page before', default: 0 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) from?: number;
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
}
