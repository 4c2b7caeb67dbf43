export { spawnProgram, type Program, type SpawnOptions } from './spawn-program.js';
