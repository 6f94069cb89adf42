import { ArrayMaxSize, IsArray, IsIn, IsObject, IsOptional, IsString, IsUUID, Length, Matches, MaxLength } from 'class-validator';
import { defineEvent } from '../catalogue';
import { PersonalData } from '../personal-data';

export const CUSTOM_FIELD_TYPES = ['text', 'number', 'date', 'boolean', 'enum'] as const;
export type CustomFieldType = (typeof CUSTOM_FIELD_TYPES)[number];
/** Keys are what API clients and CSV columns use: lower snake case. */
export const CUSTOM_FIELD_KEY = /^[a-z][a-z0-9_]{0,49}$/;
/** Every custom field definition of contacts lives in one stream, so a command sees all of them at once. */
export const CONTACT_CUSTOM_FIELDS_STREAM = 'customFieldSet-7f3f4a52-6a8e-5b0e-9a57-6c0d2b1f3e11';

export class CustomFieldDefinedPayload {
  @Matches(CUSTOM_FIELD_KEY) key!: string;
  @IsString() @Length(1, 100) label!: string;
  @IsIn(CUSTOM_FIELD_TYPES) type!: CustomFieldType;
  @IsOptional() @IsString() @MaxLength(500) description?: string;
  /** For `enum`: the allowed values. */
  @IsOptional() @IsArray() @ArrayMaxSize(200) @IsString({ each: true }) @Length(1, 100, { each: true }) options?: string[];
}

export class CustomFieldChangedPayload {
  @Matches(CUSTOM_FIELD_KEY) key!: string;
  @IsOptional() @IsString() @Length(1, 100) label?: string;
  @IsOptional() @IsString() @MaxLength(500) description?: string | null;
  /** Options are only ever added: values already stored stay valid. */
  @IsOptional() @IsArray() @ArrayMaxSize(200) @IsString({ each: true }) @Length(1, 100, { each: true }) addedOptions?: string[];
}

export class CustomFieldRetiredPayload {
  @Matches(CUSTOM_FIELD_KEY) key!: string;
}

export class ContactCustomFieldsChangedPayload {
  @IsUUID() contactId!: string;
  @IsUUID() customerId!: string;
  /** The fields that changed and their new values (checked against the definitions); null clears one. */
  @IsObject() @PersonalData() values!: Record<string, string | number | boolean | null>;
}

export const CustomFieldDefined = defineEvent({ type: 'CustomFieldDefined', payload: CustomFieldDefinedPayload });
export const CustomFieldChanged = defineEvent({ type: 'CustomFieldChanged', payload: CustomFieldChangedPayload });
export const CustomFieldRetired = defineEvent({ type: 'CustomFieldRetired', payload: CustomFieldRetiredPayload });
export const ContactCustomFieldsChanged = defineEvent({ type: 'ContactCustomFieldsChanged', payload: ContactCustomFieldsChangedPayload });

export const CustomFieldEventDefinitions = [CustomFieldDefined, CustomFieldChanged, CustomFieldRetired] as const;

// Omit<…, never> makes plain object types of the classes, which deciders' Record-typed events accept.
export type CustomFieldEvent =
  | { type: 'CustomFieldDefined'; data: Omit<CustomFieldDefinedPayload, never> }
  | { type: 'CustomFieldChanged'; data: Omit<CustomFieldChangedPayload, never> }
  | { type: 'CustomFieldRetired'; data: Omit<CustomFieldRetiredPayload, never> };
