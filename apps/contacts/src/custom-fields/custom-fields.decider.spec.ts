import { ConflictError, DomainRuleError, NotFoundError, ValidationError, type CustomFieldEvent } from '@clientela/contracts';
import { deciderSpec } from '@clientela/testing';
import { checkCustomValues, customFieldsDecider, evolve, initialState } from './custom-fields.decider';

const given = deciderSpec(customFieldsDecider);
const tier: CustomFieldEvent = { type: 'CustomFieldDefined', data: { key: 'tier', label: 'Tier', type: 'enum', options: ['gold', 'silver'] } };
const birthday: CustomFieldEvent = { type: 'CustomFieldDefined', data: { key: 'birthday', label: 'Birthday', type: 'date' } };

describe('custom fields decider', () => {
  it('defines a field, its enum options without repeats', () =>
    given([]).when({ type: 'DefineCustomField', data: { key: 'tier', label: 'Tier', type: 'enum', options: ['gold', 'silver', 'gold'] } }).then([tier]));
  it('refuses a key defined already, or retired', () => {
    given([tier]).when({ type: 'DefineCustomField', data: { key: 'tier', label: 'x', type: 'text' } }).thenThrows(ConflictError, /exists already/);
    given([tier, { type: 'CustomFieldRetired', data: { key: 'tier' } }]).when({ type: 'DefineCustomField', data: { key: 'tier', label: 'x', type: 'text' } }).thenThrows(ConflictError, /cannot be reused/);
  });
  it('needs options for an enum and refuses them elsewhere', () => {
    given([]).when({ type: 'DefineCustomField', data: { key: 'e', label: 'E', type: 'enum' } }).thenThrows(DomainRuleError, /needs options/);
    given([]).when({ type: 'DefineCustomField', data: { key: 't', label: 'T', type: 'text', options: ['a'] } }).thenThrows(DomainRuleError, /only enum/);
  });
  it('refuses more than 200 live fields', () => {
    const many: CustomFieldEvent[] = Array.from({ length: 200 }, (_, i) => ({ type: 'CustomFieldDefined', data: { key: `f${i}`, label: 'F', type: 'text' } }));
    given(many).when({ type: 'DefineCustomField', data: { key: 'one_more', label: 'x', type: 'text' } }).thenThrows(DomainRuleError, /at most 200/);
  });
  it('adds options and changes labels, but never removes an option', () => {
    given([tier]).when({ type: 'ChangeCustomField', data: { key: 'tier', label: 'Loyalty tier', options: ['gold', 'silver', 'bronze'] } }).then([
      { type: 'CustomFieldChanged', data: { key: 'tier', label: 'Loyalty tier', addedOptions: ['bronze'] } },
    ]);
    given([tier]).when({ type: 'ChangeCustomField', data: { key: 'tier', options: ['gold'] } }).thenThrows(DomainRuleError, /cannot be removed/);
    given([tier]).when({ type: 'ChangeCustomField', data: { key: 'tier', label: 'Tier' } }).thenNothingHappens();
    given([birthday]).when({ type: 'ChangeCustomField', data: { key: 'birthday', options: ['x'] } }).thenThrows(DomainRuleError);
    given([]).when({ type: 'ChangeCustomField', data: { key: 'nope', label: 'x' } }).thenThrows(NotFoundError);
  });
  it('retires once', () => {
    given([tier]).when({ type: 'RetireCustomField', data: { key: 'tier' } }).then([{ type: 'CustomFieldRetired', data: { key: 'tier' } }]);
    given([tier, { type: 'CustomFieldRetired', data: { key: 'tier' } }]).when({ type: 'RetireCustomField', data: { key: 'tier' } }).thenNothingHappens();
    given([]).when({ type: 'RetireCustomField', data: { key: 'tier' } }).thenThrows(NotFoundError);
  });

  describe('values', () => {
    const fields = [tier, birthday, { type: 'CustomFieldDefined', data: { key: 'score', label: 'S', type: 'number' } }, { type: 'CustomFieldDefined', data: { key: 'vip', label: 'V', type: 'boolean' } }, { type: 'CustomFieldDefined', data: { key: 'note', label: 'N', type: 'text' } }, { type: 'CustomFieldDefined', data: { key: 'old', label: 'O', type: 'text' } }, { type: 'CustomFieldRetired', data: { key: 'old' } }] as CustomFieldEvent[];
    const state = fields.reduce(evolve, initialState());
    it('accepts values of each type and null', () =>
      expect(checkCustomValues(state.fields, { tier: null, birthday: '1990-02-28', score: 4.5, vip: false, note: 'hi' })).toEqual({ tier: null, birthday: '1990-02-28', score: 4.5, vip: false, note: 'hi' }));
    it('lists every value that does not fit, by key', () => {
      try {
        checkCustomValues(state.fields, { tier: 'platinum', birthday: '1990-02-30', score: '5', vip: 'yes', note: 'x'.repeat(1001), old: 'x', unknown: 1 });
        throw new Error('expected a ValidationError');
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).violations.map((v) => v.path).sort()).toEqual(
          ['customFields.birthday', 'customFields.note', 'customFields.old', 'customFields.score', 'customFields.tier', 'customFields.unknown', 'customFields.vip'],
        );
      }
    });
    it('refuses a date that is no day at all (month 13) as a bad value, not a crash', () =>
      expect(() => checkCustomValues(state.fields, { birthday: '2024-13-45' })).toThrow(ValidationError));
  });
});
