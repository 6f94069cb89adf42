import { randomBytes } from 'node:crypto';
import { MasterKeyError } from './errors';
import { generateMasterKey, masterKeyById, parseMasterKeys, unwrapDataKey, wrapDataKey } from './master-keys';

describe('master keys', () => {
  it('parses the current and previous keys and names each by a stable id', () => {
    const [a, b] = [generateMasterKey(), generateMasterKey()];
    const keys = parseMasterKeys(a, ` ${b} ,`);
    expect(keys.previous).toHaveLength(1);
    expect(parseMasterKeys(a).current.id).toBe(keys.current.id);
    expect(keys.current.id).not.toBe(keys.previous[0].id);
    expect(masterKeyById(keys, keys.previous[0].id)).toBe(keys.previous[0]);
    expect(() => masterKeyById(keys, 'ffff')).toThrow(/neither CLIENTELA_MASTER_KEY nor/);
  });

  it('refuses keys that are not 32 bytes of base64, naming the variable', () => {
    expect(() => parseMasterKeys('')).toThrow(MasterKeyError);
    expect(() => parseMasterKeys(randomBytes(16).toString('base64'))).toThrow(/CLIENTELA_MASTER_KEY must be 32 bytes in base64 \(got 16 bytes\)/);
    expect(() => parseMasterKeys(generateMasterKey(), 'not base64!')).toThrow(/CLIENTELA_MASTER_KEY_PREVIOUS \(key 1\)/);
  });

  it('wraps a data key for one subject only', () => {
    const master = parseMasterKeys(generateMasterKey()).current;
    const dataKey = randomBytes(32);
    const wrapped = wrapDataKey(master, 'c-1', dataKey);
    expect(unwrapDataKey(master, 'c-1', wrapped)).toEqual(dataKey);
    expect(() => unwrapDataKey(master, 'c-2', wrapped)).toThrow(MasterKeyError);
    expect(() => unwrapDataKey(parseMasterKeys(generateMasterKey()).current, 'c-1', wrapped)).toThrow(/does not open with master key/);
  });
});
