// Segment file names, built and parsed in one place (LevelDB's filename.h):
// `<dir>/<segment id as 16 lower-case hex digits>.log`, so names sort in id
// order. Other names in the directory are ignored by the log.
import type { FileSystem } from '../fs/file-system.js';
import { isStorageError } from '../errors.js';

const SEGMENT_NAME = /^([0-9a-f]{16})\.log$/;

export function segmentFileName(segmentId: number): string {
  return `${segmentId.toString(16).padStart(16, '0')}.log`;
}

export function segmentPath(dir: string, segmentId: number): string {
  return `${dir}/${segmentFileName(segmentId)}`;
}

/** The segment id a file name denotes, or undefined if it is not a segment's name. */
export function parseSegmentFileName(name: string): number | undefined {
  const m = SEGMENT_NAME.exec(name);
  if (m === null) return undefined;
  const id = Number.parseInt(m[1]!, 16);
  return Number.isSafeInteger(id) ? id : undefined;
}

/** Ids of the segments in `dir`, ascending; [] if the directory does not exist. */
export async function listSegments(fs: FileSystem, dir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await fs.list(dir);
  } catch (e) {
    if (isStorageError(e, 'not-found')) return [];
    throw e;
  }
  const ids: number[] = [];
  for (const name of names) {
    const id = parseSegmentFileName(name);
    if (id !== undefined) ids.push(id);
  }
  return ids.sort((a, b) => a - b);
}
