export { spawnProgram, stopper, type Program, type SpawnOptions } from './spawn-program.js';
export { freePort } from './free-port.js';
