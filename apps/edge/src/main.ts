/**
 * Edge gateway process: the only place that reads process.env and argv
 * (through the runner), listens and handles signals.
 *   node dist/apps/edge/src/main.js --config edge.yaml [--check [--online]]
 */
import { runGateway } from '../../../libs/server/index.js';
import { edgeGateway } from './edge-gateway.js';

runGateway(edgeGateway);
