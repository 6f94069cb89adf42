/**
 * What runs in the sealing worker (see sealing-worker.ts): each message is a batch of seal inputs
 * and the raw data keys they name; the answer is the base64 of each one's IV | ciphertext | tag,
 * in order, joined by commas (base64 has none). The keys live only as long as their message.
 */
import { parentPort } from 'node:worker_threads';
import { sealInput } from './sealed-fields';
import { KEY_BYTES, type SealingBatch } from './sealing-batch';

const buffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

parentPort?.on('message', ({ inputs, keys, count }: SealingBatch) => {
  const input = buffer(inputs);
  const keyBytes = buffer(keys);
  let sealed = '';
  let at = 0;
  for (let i = 0; i < count; i++) {
    const length = input.readUInt32BE(at);
    const key = keyBytes.subarray(KEY_BYTES * input.readUInt32BE(at + 4), KEY_BYTES * (input.readUInt32BE(at + 4) + 1));
    sealed += `${i === 0 ? '' : ','}${sealInput(input.subarray(at + 8, at + 8 + length), key).toString('base64')}`;
    at += 8 + length;
  }
  keyBytes.fill(0);
  parentPort?.postMessage(sealed);
});

// Loaded (the compiler too, under TypeScript): batches can come.
parentPort?.postMessage({ ready: true });
