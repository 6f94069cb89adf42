import { TransformationType } from 'class-transformer';
import type { MetadataStorage as TransformerStorage } from 'class-transformer/types/MetadataStorage';
import { getMetadataStorage, ValidationTypes } from 'class-validator';
import { fastAcceptFor } from './fast-accept';
import { onValidationRulesChanged } from './validation-metadata-cache';

// class-transformer keeps its decorators' metadata here and exports no accessor (as service-kit's openapi.ts reads it).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage: transformerStorage } = require('class-transformer/cjs/storage') as { defaultMetadataStorage: TransformerStorage };

type ValidatorStorage = ReturnType<typeof getMetadataStorage>;
type ValidationMetadata = Parameters<ValidatorStorage['addValidationMetadata']>[0];
type Class = abstract new (...args: never[]) => object;
/** How both libraries type a class (`Function`). */
type Target = Parameters<TransformerStorage['findTypeMetadata']>[0];
const targetOf = (cls: Class): Target => cls as unknown as Target;

/**
 * A compiled check of a plain object against a class's class-validator rules (with
 * `whitelist`, `forbidNonWhitelisted` and `forbidUnknownValues`, as the contracts validate).
 * `true` means class-validator would accept `plainToInstance(cls, object)`; `false` means it
 * might not: the caller then asks class-validator itself, which also words the violations.
 * `ignored` names top-level fields that are not checked at all (neither their rules nor whether
 * they are allowed), as the catalogue ignores sealed personal fields.
 */
export type CompiledCheck = (object: object, ignored?: ReadonlySet<string>) => boolean;

/** Never sure: every call goes to class-validator (classes with rules this compiler does not model). */
const UNSURE: CompiledCheck = () => false;

/** Rules whose result on a plain object or dense array is the same as on class-transformer's copy of it. */
const COPY_INSENSITIVE = new Set(['isDefined', 'isNotEmpty', 'isObject', 'isArray', 'arrayMinSize', 'arrayMaxSize', 'arrayNotEmpty']);

/** Built-in classes that `@Type` may name but that class-transformer converts to instead of copying. */
const CONVERTED = new Set<unknown>([String, Number, Boolean, Date, Buffer, Map, Set, Array, Object, Promise]);

const isPlainObject = (value: object): boolean => {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};

const isDenseArray = (value: unknown[]): boolean => {
  if (Object.getPrototypeOf(value) !== Array.prototype) return false;
  for (let index = 0; index < value.length; index++) if (!(index in value)) return false;
  return true;
};

/** Whether a value reaches a rule unchanged by class-transformer's copy, as far as that rule can tell. */
const reachesRuleUnchanged = (rule: string, value: unknown): boolean => {
  if (typeof value === 'function') return false;
  if (typeof value !== 'object' || value === null) return true;
  if (!COPY_INSENSITIVE.has(rule)) return false;
  return Array.isArray(value) ? isDenseArray(value) : isPlainObject(value);
};

class Unsupported extends Error {}

interface Rule {
  readonly name: string;
  readonly each: boolean;
  readonly validate: (value: unknown, args: object) => unknown;
  /** class-validator's ValidationArguments, made once per rule and filled in for each call (no allocation per field). */
  readonly args: { targetName: string; property: string; object: object | undefined; value: unknown; constraints: unknown[] };
}

type PropertyCheck = (object: object, value: unknown) => boolean;

const isThenable = (result: unknown): boolean =>
  typeof result === 'object' && result !== null && typeof (result as { then?: unknown }).then === 'function';

const passes = (rule: Rule, object: object, value: unknown): boolean => {
  const args = rule.args;
  args.object = object;
  args.value = value;
  try {
    return passesWith(rule, args, value);
  } finally {
    args.object = args.value = undefined; // holds no payload between calls
  }
};

const passesWith = (rule: Rule, args: object, value: unknown): boolean => {
  if (rule.each && (value instanceof Set || value instanceof Map)) return false;
  if (rule.each && Array.isArray(value)) {
    if (!isDenseArray(value)) return false;
    for (const item of value) {
      if (!reachesRuleUnchanged(rule.name, item)) return false;
      const result = rule.validate(item, args);
      if (!result || isThenable(result)) return false;
    }
    return true;
  }
  if (!reachesRuleUnchanged(rule.name, value)) return false;
  const result = rule.validate(value, args);
  return Boolean(result) && !isThenable(result);
};

/**
 * class-validator's nested validation of what class-transformer made of `value` with `@Type(() => nested)`:
 * arrays item by item (at any depth), objects as instances of the nested class, `undefined` skipped.
 */
const passesNested = (value: unknown, nested: () => CompiledCheck): boolean => {
  if (value === undefined) return true;
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    if (!isDenseArray(value)) return false;
    for (const item of value) if (!passesNested(item, nested)) return false;
    return true;
  }
  return isPlainObject(value) && nested()(value);
};

const isOnPrototype = (cls: Class, property: string): boolean => {
  for (let prototype: object | null = cls.prototype as object; prototype; prototype = Object.getPrototypeOf(prototype) as object | null) {
    if (Object.getOwnPropertyDescriptor(prototype, property)) return true;
  }
  return false;
};

const compileProperty = (cls: Class, property: string, metadatas: ValidationMetadata[], storage: ValidatorStorage, compiledOf: (cls: Class, schema: string) => CompiledCheck): PropertyCheck => {
  // class-transformer would skip, call or convert these instead of copying the value.
  if (property === 'then' || isOnPrototype(cls, property)) throw new Unsupported();
  if (transformerStorage.findTransformMetadatas(targetOf(cls), property, TransformationType.PLAIN_TO_CLASS).length > 0) throw new Unsupported();

  let optional = false;
  let nestedTypes = 0;
  const rules: Rule[] = [];
  for (const metadata of metadatas) {
    switch (metadata.type) {
      case ValidationTypes.WHITELIST:
        break;
      case ValidationTypes.CONDITIONAL_VALIDATION:
        // IsOptional's condition is a function of the value alone; ValidateIf's may read the instance.
        if (metadata.name !== 'isOptional') throw new Unsupported();
        optional = true;
        break;
      case ValidationTypes.IS_DEFINED:
      case ValidationTypes.CUSTOM_VALIDATION:
        if (metadata.validateIf) throw new Unsupported();
        for (const constraint of storage.getTargetValidatorConstraints(metadata.constraintCls)) {
          // validateSync skips async rules; modelling that is not worth it.
          if (constraint.async) throw new Unsupported();
          const instance = constraint.instance as { validate: (value: unknown, args: object) => unknown };
          const args = { targetName: cls.name, property, object: undefined, value: undefined, constraints: metadata.constraints ?? [] };
          const validate = instance.validate.bind(instance);
          const fast = fastAcceptFor(constraint.name, args.constraints, (value) => validate(value, { ...args, object: {}, value }));
          rules.push({ name: constraint.name, each: Boolean(metadata.each), validate: fast ? (value, ruleArgs) => fast(value) || validate(value, ruleArgs) : validate, args });
        }
        break;
      case ValidationTypes.NESTED_VALIDATION:
        nestedTypes++;
        break;
      default:
        throw new Unsupported();
    }
  }

  const typeMetadata = transformerStorage.findTypeMetadata(targetOf(cls), property);
  let nested: (() => CompiledCheck) | undefined;
  if (nestedTypes > 0 || typeMetadata) {
    // Nested rules are modelled only for a plain `@Type(() => SomeClass)`: without it class-transformer
    // copies a plain object, which class-validator refuses as an unknown value.
    if (!typeMetadata || !typeMetadata.typeFunction || typeMetadata.typeFunction.length > 0 || typeMetadata.options?.discriminator || nestedTypes === 0) {
      throw new Unsupported();
    }
    const nestedClass = typeMetadata.typeFunction() as Class;
    const reflected: unknown = typeMetadata.reflectedType;
    if (typeof nestedClass !== 'function' || CONVERTED.has(nestedClass)) throw new Unsupported();
    if (reflected !== undefined && reflected !== Array && reflected !== Object && reflected !== nestedClass) throw new Unsupported();
    let compiled: CompiledCheck | undefined;
    nested = () => (compiled ??= compiledOf(nestedClass, cls.name));
  }

  return (object, value) => {
    if (optional && (value === null || value === undefined)) return true;
    for (const rule of rules) if (!passes(rule, object, value)) return false;
    return nested === undefined || passesNested(value, nested);
  };
};

const compileClass = (cls: Class, schema: string | undefined, compiledOf: (cls: Class, schema: string) => CompiledCheck): CompiledCheck => {
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(targetOf(cls), schema as string, false, false, undefined as unknown as string[]);
  if (metadatas.length === 0) return UNSURE; // forbidUnknownValues refuses it
  const target = targetOf(cls);
  if (transformerStorage.getStrategy(target) !== 'none' || transformerStorage.getExposedMetadatas(target).length > 0 || transformerStorage.getExcludedMetadatas(target).length > 0) {
    return UNSURE;
  }
  const grouped = storage.groupByPropertyName(metadatas);
  const checks = new Map<string, PropertyCheck>();
  try {
    for (const [property, ofProperty] of Object.entries(grouped)) checks.set(property, compileProperty(cls, property, ofProperty, storage, compiledOf));
    // The copy starts as `new cls()`: fields it sets itself would be validated (or refused) whatever the input.
    const fresh = new (cls as unknown as new () => Record<string, unknown>)();
    for (const key of Object.keys(fresh)) if (fresh[key] !== undefined || !checks.has(key)) return UNSURE;
  } catch (error) {
    if (error instanceof Unsupported) return UNSURE;
    throw error;
  }
  const properties = [...checks];

  return (object, ignored) => {
    if (!isPlainObject(object)) return false;
    const record = object as Record<string, unknown>;
    for (const key of Object.keys(record)) if (!checks.has(key) && !ignored?.has(key)) return false;
    for (const [property, check] of properties) {
      if (ignored?.has(property)) continue;
      if (!check(object, record[property])) return false;
    }
    return true;
  };
};

let compiled = new WeakMap<Class, Map<string | undefined, CompiledCheck>>();
onValidationRulesChanged(() => {
  compiled = new WeakMap();
});

/**
 * The compiled check of a class, built on first use from class-validator's and class-transformer's
 * metadata (so the decorators stay the one source of the rules) and rebuilt when either changes.
 * `schema` is what class-validator's nested validation looks rules up with (the parent class's name).
 */
export const compiledCheckOf = (cls: Class, schema?: string): CompiledCheck => {
  let ofClass = compiled.get(cls);
  if (!ofClass) compiled.set(cls, (ofClass = new Map()));
  let check = ofClass.get(schema);
  if (!check) {
    // Nested classes are compiled on their first use, so a class nesting itself compiles too.
    check = compileClass(cls, schema, compiledCheckOf);
    ofClass.set(schema, check);
  }
  return check;
};
