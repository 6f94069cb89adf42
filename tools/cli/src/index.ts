export { run } from './main';
export { buildProgram } from './program';
