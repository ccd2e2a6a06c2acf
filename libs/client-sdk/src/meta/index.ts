// META access shared by the master and the tablet servers (DESIGN §7):
// tablet configs as META rows with the location fence, the root file, and
// the router that finds the server serving META.

export { MetaTableClient, describeTablet, sameBound, type ExpectedAssignment, type MetaRows, type MetaTable, type TabletWrite } from './meta-table.js';
export { HttpMetaRows } from './http-meta-rows.js';
export { MetaRouter, type LocalRows, type MetaRouterOptions } from './meta-router.js';
export { EMPTY_ROOT, ROOT_PATH, parseRoot, readRoot, writeRoot, type RootConfig, type RootRead } from './root-file.js';
