// Runs the lock-store Lua scripts: EVALSHA, and EVAL when Redis answers
// NOSCRIPT (a restarted or flushed Redis forgot the script cache; NOSCRIPT
// means nothing ran, so sending EVAL is not a resend of an unknown outcome).
// Replies are read with the Buffer variant, so file contents come back as
// the exact bytes stored.

import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { CLOSE_SESSION_LUA, KEEP_ALIVE_LUA, OPEN_SESSION_LUA } from './scripts/sessions.js';
import { CREATE_FILE_LUA, DELETE_FILE_LUA, GET_FILE_LUA, LIST_CHILDREN_LUA, SET_CONTENTS_LUA } from './scripts/files.js';
import { ACQUIRE_LUA, RELEASE_LUA, VALIDATE_LUA } from './scripts/locks.js';
import { EXPIRE_LUA, READ_EVENTS_LUA, STATUS_LUA } from './scripts/events.js';

export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

function luaScript(name: string, source: string): LuaScript {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

export const SCRIPTS = {
  openSession: luaScript('openSession', OPEN_SESSION_LUA),
  keepAlive: luaScript('keepAlive', KEEP_ALIVE_LUA),
  closeSession: luaScript('closeSession', CLOSE_SESSION_LUA),
  createFile: luaScript('createFile', CREATE_FILE_LUA),
  getFile: luaScript('getFile', GET_FILE_LUA),
  setContents: luaScript('setContents', SET_CONTENTS_LUA),
  deleteFile: luaScript('deleteFile', DELETE_FILE_LUA),
  listChildren: luaScript('listChildren', LIST_CHILDREN_LUA),
  acquire: luaScript('acquire', ACQUIRE_LUA),
  release: luaScript('release', RELEASE_LUA),
  validateSequencer: luaScript('validateSequencer', VALIDATE_LUA),
  readEvents: luaScript('readEvents', READ_EVENTS_LUA),
  status: luaScript('status', STATUS_LUA),
  expireSessions: luaScript('expireSessions', EXPIRE_LUA),
} as const;

export type ScriptArg = string | Buffer | number;

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.name === 'ReplyError' && err.message.startsWith('NOSCRIPT');
}

/** One script call; rejects with whatever ioredis raised (see redis-errors.ts). */
export async function runScript(redis: Redis, script: LuaScript, args: readonly ScriptArg[]): Promise<unknown> {
  try {
    return await redis.callBuffer('EVALSHA', script.sha, 0, ...args);
  } catch (err) {
    if (!isNoScript(err)) throw err;
    return redis.callBuffer('EVAL', script.source, 0, ...args);
  }
}
