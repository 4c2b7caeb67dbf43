export { markUpgrade, isUpgrade, checkUpgrade, wantsWebSocket } from './upgrade-request.js';
export { forwardUpgrade, type UpgradeForward } from './forward-upgrade.js';
export { startTunnel, closeAllTunnels, type Tunnel, type TunnelOptions } from './tunnel.js';
export { FrameMeter, type FrameViolation } from './frame-meter.js';
export { encodeFrame, closeFrame, decodeFrames, readClose, OPCODE, type Frame } from './frame-codec.js';
