import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, IsUUID, Length, ValidateNested } from 'class-validator';
import { MAX_STAGES, PipelineStage } from '@clientela/contracts';
import { PageQuery } from '@clientela/service-kit';
import { ListOnly, OptionalNotNull } from '../validation/optional';

export class CreatePipelineDto {
  @IsString() @Length(1, 200) name!: string;
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(MAX_STAGES) @ValidateNested({ each: true }) @Type(() => PipelineStage) @ListOnly() stages!: PipelineStage[];
}

/** Absent fields stay; `stages` replaces the list (stages renamed, reordered, re-weighted or added; none removed). */
export class UpdatePipelineDto {
  @OptionalNotNull() @IsString() @Length(1, 200) name?: string;
  @OptionalNotNull() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(MAX_STAGES) @ValidateNested({ each: true }) @Type(() => PipelineStage) @ListOnly() stages?: PipelineStage[];
}

export class PipelineIdParams {
  @IsUUID() id!: string;
}

export const PIPELINE_SORTS = ['name', 'createdAt'] as const;
export const sortsOf = (names: readonly string[]): string[] => [...names, ...names.map((s) => `-${s}`)];

export class ListPipelinesQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'prefix of the name (case-insensitive)' })
  @IsOptional() @IsString() @Length(1, 200) name?: string;
  @ApiPropertyOptional({ enum: sortsOf(PIPELINE_SORTS), default: 'name' })
  @IsOptional() @IsIn(sortsOf(PIPELINE_SORTS)) sort?: string;
}
