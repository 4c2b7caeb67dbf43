export { tokenHash } from './token-hash.js';
export { createSingleFlight, type SingleFlight } from './single-flight.js';
