// META's row format (DESIGN §7): shared by the tablet servers (who write
// tablet configs), the master and the SDK (who read locations).

export * from './meta-rows.js';
