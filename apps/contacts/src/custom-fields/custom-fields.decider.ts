import {
  ConflictError,
  DomainRuleError,
  NotFoundError,
  ValidationError,
  type CustomFieldEvent,
  type CustomFieldType,
  type Decider,
  type FieldViolation,
} from '@clientela/contracts';

export interface CustomFieldDefinition {
  key: string;
  label: string;
  type: CustomFieldType;
  description?: string;
  options?: string[];
  retired: boolean;
}

/** All definitions of contact custom fields, by key; a retired key is never reused. */
export type CustomFieldsState = { fields: Record<string, CustomFieldDefinition> };

export type CustomFieldCommand =
  | { type: 'DefineCustomField'; data: { key: string; label: string; type: CustomFieldType; description?: string; options?: string[] } }
  | { type: 'ChangeCustomField'; data: { key: string; label?: string; description?: string | null; options?: string[] } }
  | { type: 'RetireCustomField'; data: { key: string } };

export type CustomFieldValue = string | number | boolean | null;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_TEXT = 1_000;

const isRealDate = (value: string): boolean => {
  if (!DATE.test(value)) return false;
  // A month 13 is an Invalid Date, whose toISOString throws: not a date, not a 500.
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
};

/** Why a value does not fit its field, or undefined when it does (null always fits: it clears). */
export const customValueProblem = (field: CustomFieldDefinition, value: unknown): string | undefined => {
  if (value === null) return undefined;
  switch (field.type) {
    case 'text':
      return typeof value === 'string' && value.length <= MAX_TEXT ? undefined : `must be text of at most ${MAX_TEXT} characters`;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a finite number';
    case 'date':
      return typeof value === 'string' && isRealDate(value) ? undefined : 'must be a date as YYYY-MM-DD';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'enum':
      return typeof value === 'string' && field.options?.includes(value) ? undefined : `must be one of ${(field.options ?? []).join(', ')}`;
    default: {
      const unreachable: never = field.type;
      return unreachable;
    }
  }
};

/** Checks values against the live definitions: every problem is listed as `customFields.<key>` (400). */
export const checkCustomValues = (fields: Record<string, CustomFieldDefinition>, values: Record<string, unknown>): Record<string, CustomFieldValue> => {
  const violations: FieldViolation[] = [];
  for (const [key, value] of Object.entries(values)) {
    const field = Object.hasOwn(fields, key) ? fields[key] : undefined;
    const problem = !field || field.retired ? 'is not a defined custom field' : customValueProblem(field, value);
    if (problem) violations.push({ path: `customFields.${key}`, constraints: { customField: `${key} ${problem}` } });
  }
  if (violations.length > 0) throw new ValidationError(`invalid custom fields: ${violations.map((v) => v.path).join(', ')}`, violations);
  return values as Record<string, CustomFieldValue>;
};

export const initialState = (): CustomFieldsState => ({ fields: {} });

export const evolve = (state: CustomFieldsState, event: CustomFieldEvent): CustomFieldsState => {
  const { key } = event.data;
  switch (event.type) {
    case 'CustomFieldDefined':
      return { fields: { ...state.fields, [key]: { ...event.data, retired: false } } };
    case 'CustomFieldChanged': {
      const field = state.fields[key];
      if (!field) return state;
      const { addedOptions, description, label } = event.data;
      return {
        fields: {
          ...state.fields,
          [key]: {
            ...field,
            ...(label !== undefined ? { label } : {}),
            ...(description !== undefined ? { description: description ?? undefined } : {}),
            ...(addedOptions ? { options: [...(field.options ?? []), ...addedOptions] } : {}),
          },
        },
      };
    }
    case 'CustomFieldRetired':
      return state.fields[key] ? { fields: { ...state.fields, [key]: { ...state.fields[key], retired: true } } } : state;
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
};

const MAX_FIELDS = 200;

export const decide = (command: CustomFieldCommand, state: CustomFieldsState): CustomFieldEvent[] => {
  const { key } = command.data;
  const existing = Object.hasOwn(state.fields, key) ? state.fields[key] : undefined;
  switch (command.type) {
    case 'DefineCustomField': {
      const { type, options } = command.data;
      if (existing) throw new ConflictError(`custom field ${key} ${existing.retired ? 'was retired; its key cannot be reused' : 'exists already'}`);
      if (Object.values(state.fields).filter((f) => !f.retired).length >= MAX_FIELDS) {
        throw new DomainRuleError(`at most ${MAX_FIELDS} custom fields`, 'custom_field_limit');
      }
      if (type === 'enum' && (!options || options.length === 0)) throw new DomainRuleError('an enum field needs options', 'enum_needs_options');
      if (type !== 'enum' && options) throw new DomainRuleError('only enum fields have options', 'options_only_for_enum');
      const unique = options ? [...new Set(options)] : undefined;
      return [{ type: 'CustomFieldDefined', data: { ...command.data, ...(unique ? { options: unique } : {}) } }];
    }
    case 'ChangeCustomField': {
      if (!existing || existing.retired) throw new NotFoundError(`custom field ${key} not found`);
      const { label, description, options } = command.data;
      if (options && existing.type !== 'enum') throw new DomainRuleError('only enum fields have options', 'options_only_for_enum');
      const removed = (existing.options ?? []).filter((o) => options && !options.includes(o));
      if (removed.length > 0) throw new DomainRuleError(`options cannot be removed (stored values use them): ${removed.join(', ')}`, 'options_only_grow');
      const addedOptions = [...new Set(options ?? [])].filter((o) => !(existing.options ?? []).includes(o));
      const changes = {
        ...(label !== undefined && label !== existing.label ? { label } : {}),
        ...(description !== undefined && (description ?? undefined) !== existing.description ? { description } : {}),
        ...(addedOptions.length > 0 ? { addedOptions } : {}),
      };
      return Object.keys(changes).length === 0 ? [] : [{ type: 'CustomFieldChanged', data: { key, ...changes } }];
    }
    case 'RetireCustomField':
      if (!existing) throw new NotFoundError(`custom field ${key} not found`);
      return existing.retired ? [] : [{ type: 'CustomFieldRetired', data: { key } }];
    default: {
      const unreachable: never = command;
      return unreachable;
    }
  }
};

export const customFieldsDecider: Decider<CustomFieldsState, CustomFieldCommand, CustomFieldEvent> = { initialState, evolve, decide };
