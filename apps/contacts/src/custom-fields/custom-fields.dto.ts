import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { CUSTOM_FIELD_KEY, CUSTOM_FIELD_TYPES, type CustomFieldType } from '@clientela/contracts';

export class DefineCustomFieldDto {
  @Matches(CUSTOM_FIELD_KEY, { message: 'key must be lower snake case: a letter, then letters, digits or _, at most 50' }) key!: string;
  @IsString() @Length(1, 100) label!: string;
  @IsIn(CUSTOM_FIELD_TYPES) type!: CustomFieldType;
  @IsOptional() @IsString() @MaxLength(500) description?: string;
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(200) @IsString({ each: true }) @Length(1, 100, { each: true }) options?: string[];
}

export class ChangeCustomFieldDto {
  @IsOptional() @IsString() @Length(1, 100) label?: string;
  @IsOptional() @IsString() @MaxLength(500) description?: string | null;
  /** The full list: options may be added, never removed. */
  @IsOptional() @IsArray() @ArrayMaxSize(200) @IsString({ each: true }) @Length(1, 100, { each: true }) options?: string[];
}

export class CustomFieldKeyParams {
  @Matches(CUSTOM_FIELD_KEY) key!: string;
}
