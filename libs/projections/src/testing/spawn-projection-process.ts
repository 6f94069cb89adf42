import { join } from 'node:path';
import { spawnTsProcess, type TsProcess } from '@clientela/testing';

export type ProjectionProcess = TsProcess;

/** Starts projection-process.ts as a child and resolves once its runner has started. */
export const spawnProjectionProcess = (env: Record<string, string>): Promise<ProjectionProcess> =>
  spawnTsProcess(join(__dirname, 'projection-process.ts'), {
    env,
    tsconfig: join(__dirname, '..', '..', 'tsconfig.json'),
    readyMarker: '"pid"',
  });
