import 'reflect-metadata';

const PERSONAL_FIELDS = Symbol.for('clientela:personal-fields');

/**
 * Marks a payload field as personal data (a name, email, phone, address or free text),
 * so that erasure can find and destroy it. On an object or array field, the whole value is personal.
 */
export const PersonalData = (): PropertyDecorator => (target, propertyKey) => {
  if (typeof propertyKey !== 'string') throw new TypeError('@PersonalData() needs a string property name');
  const existing: string[] = Reflect.getOwnMetadata(PERSONAL_FIELDS, target) ?? [
    ...((Reflect.getMetadata(PERSONAL_FIELDS, target) as string[] | undefined) ?? []),
  ];
  if (!existing.includes(propertyKey)) existing.push(propertyKey);
  Reflect.defineMetadata(PERSONAL_FIELDS, existing, target);
};

/** The personal fields of a payload class, inherited ones included. */
export const personalFieldsOf = (payloadClass: abstract new (...args: never[]) => object): readonly string[] =>
  (Reflect.getMetadata(PERSONAL_FIELDS, payloadClass.prototype) as string[] | undefined) ?? [];
