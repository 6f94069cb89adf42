import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { defineEvent, type RecordedEventOf } from '../catalogue';

/** A stage's key within its pipeline: lower case, stable while its name changes (`qualify`, `proposal-sent`). */
export const STAGE_ID = /^[a-z][a-z0-9-]{0,62}$/;
export const MAX_STAGES = 30;

export class PipelineStage {
  @Matches(STAGE_ID, { message: 'stageId must be lower case letters, digits and dashes, starting with a letter' }) stageId!: string;
  @IsString() @Length(1, 100) name!: string;
  /** The win probability a deal takes when it enters the stage, in percent. */
  @IsInt() @Min(0) @Max(100) probability!: number;
}

class PipelineEventBase {
  @IsUUID() pipelineId!: string;
}

export class PipelineCreatedPayload extends PipelineEventBase {
  @IsString() @Length(1, 200) name!: string;
  /** In order: deals move along them. */
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(MAX_STAGES) @ValidateNested({ each: true }) @Type(() => PipelineStage) stages!: PipelineStage[];
  @IsISO8601() createdAt!: string;
}

/** What changed; `stages` is the whole new list, in order (stages are renamed, reordered, re-weighted or added, never removed). */
export class PipelineChangedPayload extends PipelineEventBase {
  @IsOptional() @IsString() @Length(1, 200) name?: string;
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(MAX_STAGES) @ValidateNested({ each: true }) @Type(() => PipelineStage) stages?: PipelineStage[];
  @IsISO8601() changedAt!: string;
}

export const PipelineCreated = defineEvent({ type: 'PipelineCreated', payload: PipelineCreatedPayload });
export const PipelineChanged = defineEvent({ type: 'PipelineChanged', payload: PipelineChangedPayload });

export const PipelineEventDefinitions = [PipelineCreated, PipelineChanged] as const;

type Data<D> = D extends { payload: new () => infer P } ? Omit<P, never> : never;
export type PipelineEvent = {
  [K in (typeof PipelineEventDefinitions)[number] as K['type']]: { type: K['type']; data: Data<K> };
}[(typeof PipelineEventDefinitions)[number]['type']];
export type RecordedPipelineEvent = RecordedEventOf<(typeof PipelineEventDefinitions)[number]>;
