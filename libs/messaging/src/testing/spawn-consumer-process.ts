import { join } from 'node:path';
import { spawnTsProcess, type TsProcess } from '@clientela/testing';

export type ConsumerProcess = TsProcess;

/** Starts consumer-process.ts as a child and resolves once its consumer has joined. */
export const spawnConsumerProcess = (env: Record<string, string>): Promise<ConsumerProcess> =>
  spawnTsProcess(join(__dirname, 'consumer-process.ts'), {
    env,
    tsconfig: join(__dirname, '..', '..', 'tsconfig.json'),
    readyMarker: '"pid"',
  });
