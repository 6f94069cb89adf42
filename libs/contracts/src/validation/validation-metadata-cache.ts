import type { MetadataStorage as TransformerStorage } from 'class-transformer/types/MetadataStorage';
import { getMetadataStorage } from 'class-validator';

// class-transformer keeps its decorators' metadata here and exports no accessor (as service-kit's openapi.ts reads it).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage: transformerStorage } = require('class-transformer/cjs/storage') as { defaultMetadataStorage: TransformerStorage };

type Storage = ReturnType<typeof getMetadataStorage>;
type ValidationMetadata = Parameters<Storage['addValidationMetadata']>[0];
type Grouped = ReturnType<Storage['groupByPropertyName']>;

const CACHED = Symbol.for('clientela.validationMetadataCache');
const LISTENERS = Symbol.for('clientela.validationRulesListeners');

type Listeners = Set<() => void>;
type Marked<T> = T & { [CACHED]?: true; [LISTENERS]?: Listeners };

/** Kept on the storages (one per process), so that every copy of this module sees every change. */
const listenersOf = (storage: Marked<Storage>): Listeners => (storage[LISTENERS] ??= new Set());

/** Runs `forget` whenever a validation rule, a constraint, or a class-transformer rule (@Type, @Transform, @Expose, @Exclude) is declared. */
export const onValidationRulesChanged = (forget: () => void, storage: Storage = getMetadataStorage()): void => {
  cacheValidationMetadata(storage);
  listenersOf(storage).add(forget);
};

const notifyOnAdd = <T extends object, K extends keyof T>(target: T, method: K, notify: () => void): void => {
  const original = target[method];
  if (typeof original !== 'function') return;
  const bound = (original as (...args: unknown[]) => unknown).bind(target);
  target[method] = ((...args: unknown[]) => {
    notify();
    return bound(...args);
  }) as T[K];
};

/**
 * class-validator looks up a class's rules on every validation of every object, nested ones too,
 * by walking every class it knows (an `instanceof` each, for inherited rules) and grouping the rules
 * again: that was most of the time of validating an ingest message or an event payload. The rules
 * of a class only change when a class is declared, so the lookups are kept per class and dropped
 * whenever a rule is added. Validation with groups is not cached (nothing here uses groups).
 * Idempotent: the storage is one per process (class-validator keeps it on `global`).
 */
export const cacheValidationMetadata = (storage: Storage = getMetadataStorage()): void => {
  const marked = storage as Marked<Storage>;
  if (marked[CACHED]) return;
  marked[CACHED] = true;
  const notify = () => {
    for (const listener of listenersOf(marked)) listener();
  };

  let lookups = new Map<unknown, Map<string, ValidationMetadata[]>>();
  let grouped = new WeakMap<ValidationMetadata[], Grouped>();
  const forget = () => {
    lookups = new Map();
    grouped = new WeakMap();
  };

  const addValidationMetadata = storage.addValidationMetadata.bind(storage);
  storage.addValidationMetadata = (metadata: ValidationMetadata) => {
    forget();
    notify();
    addValidationMetadata(metadata);
  };
  notifyOnAdd(storage, 'addConstraintMetadata', notify);
  for (const method of ['addTypeMetadata', 'addTransformMetadata', 'addExposeMetadata', 'addExcludeMetadata'] as const) {
    notifyOnAdd(transformerStorage, method, notify);
  }
  const getTargetValidationMetadatas = storage.getTargetValidationMetadatas.bind(storage);
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    if (groups !== undefined && groups.length > 0) return getTargetValidationMetadatas(target, schema, always, strictGroups, groups);
    const key = `${schema}|${always}|${strictGroups}`;
    let ofTarget = lookups.get(target);
    if (!ofTarget) lookups.set(target, (ofTarget = new Map()));
    let found = ofTarget.get(key);
    if (!found) ofTarget.set(key, (found = getTargetValidationMetadatas(target, schema, always, strictGroups, groups)));
    return found;
  };
  const groupByPropertyName = storage.groupByPropertyName.bind(storage);
  storage.groupByPropertyName = (metadatas: ValidationMetadata[]) => {
    let found = grouped.get(metadatas);
    if (!found) grouped.set(metadatas, (found = groupByPropertyName(metadatas)));
    return found;
  };
};
