import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsISO8601, IsNumber, IsOptional, IsPositive, IsString, Matches, MaxLength } from 'class-validator';

const POSITION = /^\d{1,40}$/;
const NAME = /^[A-Za-z0-9._-]{1,200}$/;

/** A range of the store to publish again; the same arguments resume the same replay. */
export class ReplayRequest {
  @ApiPropertyOptional({ description: 'Events after this position (exclusive), as a decimal string.', pattern: POSITION.source })
  @Matches(POSITION, { message: 'fromPosition must be a decimal position' })
  @IsOptional()
  fromPosition?: string;

  @ApiPropertyOptional({ description: 'Up to and including this position; default the head at the first run.', pattern: POSITION.source })
  @Matches(POSITION, { message: 'toPosition must be a decimal position' })
  @IsOptional()
  toPosition?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Recorded at or after.' })
  @IsISO8601({ strict: true })
  @IsOptional()
  since?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Recorded before.' })
  @IsISO8601({ strict: true })
  @IsOptional()
  until?: string;

  @ApiPropertyOptional({ type: [String], maxItems: 50 })
  @Matches(NAME, { each: true, message: 'each category must be letters, digits, ".", "_" or "-"' })
  @ArrayMaxSize(50)
  @IsArray()
  @IsOptional()
  categories?: string[];

  @ApiPropertyOptional({ type: [String], maxItems: 200 })
  @Matches(NAME, { each: true, message: 'each type must be letters, digits, ".", "_" or "-"' })
  @ArrayMaxSize(200)
  @IsArray()
  @IsOptional()
  types?: string[];

  @ApiPropertyOptional({ description: 'Every event to this topic; default each to its context topic, as the relay does.' })
  @Matches(NAME, { message: 'toTopic must be a Kafka topic name' })
  @IsOptional()
  toTopic?: string;

  @ApiPropertyOptional({ description: 'Events per second, at most.' })
  @IsPositive()
  @IsNumber()
  @IsOptional()
  rate?: number;

  @ApiPropertyOptional({ description: 'Count per topic; send nothing.' })
  @IsBoolean()
  @IsOptional()
  dryRun?: boolean;

  @ApiPropertyOptional({ description: 'Forget where an earlier run of the same arguments got to.' })
  @IsBoolean()
  @IsOptional()
  restart?: boolean;
}

export class DeadLetterQuery {
  @ApiPropertyOptional({ description: 'Kafka: the consumed topic (not its .dlq); default every topic the platform consumes.' })
  @Matches(NAME)
  @IsOptional()
  topic?: string;

  @ApiPropertyOptional()
  @MaxLength(200)
  @IsString()
  @IsOptional()
  consumer?: string;
}

export class RedriveRequest extends DeadLetterQuery {
  @ApiPropertyOptional({ type: [String], description: 'Only these letters; default every open one of the selection.' })
  @MaxLength(300, { each: true })
  @IsString({ each: true })
  @ArrayMaxSize(1000)
  @IsArray()
  @IsOptional()
  ids?: string[];
}
