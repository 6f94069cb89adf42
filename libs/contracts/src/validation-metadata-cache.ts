import { getMetadataStorage } from 'class-validator';

type Storage = ReturnType<typeof getMetadataStorage>;
type ValidationMetadata = Parameters<Storage['addValidationMetadata']>[0];
type Grouped = ReturnType<Storage['groupByPropertyName']>;

const CACHED = Symbol.for('clientela.validationMetadataCache');

/**
 * class-validator looks up a class's rules on every validation of every object, nested ones too,
 * by walking every class it knows (an `instanceof` each, for inherited rules) and grouping the rules
 * again: that was most of the time of validating an ingest message or an event payload. The rules
 * of a class only change when a class is declared, so the lookups are kept per class and dropped
 * whenever a rule is added. Validation with groups is not cached (nothing here uses groups).
 * Idempotent: the storage is one per process (class-validator keeps it on `global`).
 */
export const cacheValidationMetadata = (storage: Storage = getMetadataStorage()): void => {
  const marked = storage as Storage & { [CACHED]?: true };
  if (marked[CACHED]) return;
  marked[CACHED] = true;

  let lookups = new Map<unknown, Map<string, ValidationMetadata[]>>();
  let grouped = new WeakMap<ValidationMetadata[], Grouped>();
  const forget = () => {
    lookups = new Map();
    grouped = new WeakMap();
  };

  const addValidationMetadata = storage.addValidationMetadata.bind(storage);
  storage.addValidationMetadata = (metadata: ValidationMetadata) => {
    forget();
    addValidationMetadata(metadata);
  };
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
