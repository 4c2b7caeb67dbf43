/**
 * Micro gateway process: the only place that reads process.env and argv
 * (through the runner), listens and handles signals.
 *   node dist/apps/micro/src/main.js --config micro.yaml [--check [--online]]
 */
import { runGateway } from '../../../libs/server/index.js';
import { microGateway } from './micro-gateway.js';

runGateway(microGateway);
