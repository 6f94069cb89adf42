import { sealInputBound, writeSealInput, type DataKey, type SealInput } from './sealed-fields';

/** A data key's raw bytes (AES-256). */
export const KEY_BYTES = 32;

/** What the sealing worker is sent: seal inputs, each `u32 length | u32 key index | input`, and the keys, KEY_BYTES each. */
export interface SealingBatch {
  inputs: Uint8Array;
  keys: Uint8Array;
  count: number;
}

/** One input to seal (an event's type, subject, field list and plaintext) and its subject's key. */
export interface SealingJob {
  input: SealInput;
  key: DataKey;
}

/**
 * Each data key's raw bytes, exported once: as long-lived as the key object that holds them (a
 * key the ring drops, erased or evicted, takes its entry with it), where exporting it for every
 * batch cost about 1 µs an event.
 */
const rawKeys = new WeakMap<DataKey, Buffer>();

const rawKeyOf = (key: DataKey): Buffer => {
  let raw = rawKeys.get(key);
  if (raw === undefined) {
    raw = key.encryption.export();
    if (raw.length !== KEY_BYTES) throw new TypeError(`a data key has ${raw.length} bytes, not ${KEY_BYTES}`);
    rawKeys.set(key, raw);
  }
  return raw;
};

/**
 * The jobs laid out for the worker, in buffers of their own (allocUnsafeSlow: a transferred buffer
 * must not share the process's small-buffer pool). Each subject's key goes in once.
 */
export const sealingBatch = (jobs: readonly SealingJob[]): SealingBatch => {
  let size = 0;
  for (const job of jobs) size += 8 + sealInputBound(job.key.ivKey, job.input);
  const inputs = Buffer.allocUnsafeSlow(size);
  const keyIndex = new Map<DataKey, number>();
  const keyList: Buffer[] = [];
  let at = 0;
  for (const job of jobs) {
    let index = keyIndex.get(job.key);
    if (index === undefined) {
      keyIndex.set(job.key, (index = keyList.length));
      keyList.push(rawKeyOf(job.key));
    }
    const end = writeSealInput(inputs, at + 8, job.key.ivKey, job.input);
    inputs.writeUInt32BE(end - at - 8, at);
    inputs.writeUInt32BE(index, at + 4);
    at = end;
  }
  const keys = Buffer.allocUnsafeSlow(KEY_BYTES * keyList.length);
  keyList.forEach((key, index) => key.copy(keys, KEY_BYTES * index));
  return { inputs: inputs.subarray(0, at), keys, count: jobs.length };
};
