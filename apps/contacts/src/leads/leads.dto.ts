import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsEmail, IsIn, IsInt, IsISO8601, IsObject, IsOptional, IsString, IsUUID, Length, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { E164, LEAD_STATUSES, Money, QUALIFICATION_STATUSES, type LeadStatus, type QualificationStatus } from '@clientela/contracts';
import { PageQuery } from '@clientela/service-kit';

/** A source as marketing types it; stored in lower case (`Google-Ads` is `google-ads`). */
const SOURCE_INPUT = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,62}$/;
const sourceMessage = { message: 'source must be a short token such as webinar or google-ads: letters, digits and . _ : / -' };

/** Who the lead is; in an update, absent means unchanged and null clears. */
class LeadPersonDto {
  @IsOptional() @IsString() @Length(1, 100) givenName?: string | null;
  @IsOptional() @IsString() @Length(1, 100) familyName?: string | null;
  @IsOptional() @IsString() @MaxLength(254) @IsEmail() email?: string | null;
  @IsOptional() @Matches(E164, { message: 'phone must be in E.164 form, e.g. +4915112345678' }) phone?: string | null;
  @IsOptional() @IsString() @Length(1, 200) companyName?: string | null;
}

export class CaptureLeadDto extends LeadPersonDto {
  @IsString() @Matches(SOURCE_INPUT, sourceMessage) source!: string;
  @IsOptional() @IsUUID() campaignId?: string;
  @IsOptional() @IsObject() @ValidateNested() @Type(() => Money) acquisitionCost?: Money;
}

export class UpdateLeadDto extends LeadPersonDto {}

export class QualifyLeadDto {
  @IsIn(QUALIFICATION_STATUSES) status!: QualificationStatus;
  @IsOptional() @IsInt() @Min(0) @Max(100) score?: number;
  /** Required when disqualifying (422 without it). */
  @IsOptional() @IsString() @Length(1, 500) reason?: string;
}

/** The new contact's (and account's) ids are derived from the lead; the body only names who takes them on. */
export class ConvertLeadDto {
  @IsOptional() @IsUUID() ownerId?: string;
}

export class LeadIdParams {
  @IsUUID() id!: string;
}

export const LEAD_SORTS = ['capturedAt', 'updatedAt', 'score'] as const;
const sorts = (names: readonly string[]) => [...names, ...names.map((s) => `-${s}`)];

export class ListLeadsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'the source (case-insensitive)' }) @IsOptional() @IsString() @Matches(SOURCE_INPUT, sourceMessage) source?: string;
  @ApiPropertyOptional({ enum: LEAD_STATUSES }) @IsOptional() @IsIn(LEAD_STATUSES) status?: LeadStatus;
  @ApiPropertyOptional() @IsOptional() @IsUUID() campaignId?: string;
  @ApiPropertyOptional({ description: 'captured at or after (ISO 8601)' }) @IsOptional() @IsString() @MaxLength(40) @IsISO8601({ strict: true }) capturedFrom?: string;
  @ApiPropertyOptional({ description: 'captured before (ISO 8601)' }) @IsOptional() @IsString() @MaxLength(40) @IsISO8601({ strict: true }) capturedTo?: string;
  @ApiPropertyOptional({ enum: sorts(LEAD_SORTS), default: 'capturedAt' })
  @IsOptional() @IsIn(sorts(LEAD_SORTS)) sort?: string;
}

export const COST_GROUPS = ['source', 'campaign'] as const;
export type CostGroup = (typeof COST_GROUPS)[number];

export class CostPerLeadQuery {
  @ApiPropertyOptional({ enum: COST_GROUPS, default: 'source' }) @IsOptional() @IsIn(COST_GROUPS) groupBy?: CostGroup;
}
