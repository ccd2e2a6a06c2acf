// The write-ahead log: group-commit writer, replay, segment files.
export { DEFAULT_SEGMENT_BYTES, LogWriter } from './log-writer.js';
export type { AppendOptions, LogPosition, LogSyncSample, LogWriterOptions } from './log-writer.js';
export { replayLog } from './log-reader.js';
export type { LogRecord, ReplayOptions, ReplayResult } from './log-reader.js';
export { listSegments, parseSegmentFileName, segmentFileName, segmentPath } from './segment-files.js';
export { MAX_RECORD_PAYLOAD, RECORD_HEADER_BYTES } from './log-format.js';
