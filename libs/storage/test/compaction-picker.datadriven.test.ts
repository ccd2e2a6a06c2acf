// Data-driven cases for the compaction picker (testdata/compaction-picker.txt;
// see datadriven.ts for the format and KDI_DATADRIVEN_REWRITE).
//
//   pick [minChain=N] [maxFragments=N] [ratio=R]
//     input: the chain's fragment sizes, oldest first, on one line
//     prints the window as `merge [start,end) sizes … major|minor`, or `none`
//   score
//     input: sizes; prints compactionScore (chain length × total size)
import { fileURLToPath } from 'node:url';
import { compactionScore, DEFAULT_PICKER_OPTIONS, pickCompaction } from '../src/index.js';
import { argValue, dataDriven, type TestCase } from '@kdi/primitives/test-support';

function sizes(c: TestCase): number[] {
  const line = c.input.trim();
  if (line === '') return [];
  return line.split(/\s+/).map((s) => {
    const n = Number(s);
    if (!Number.isFinite(n)) throw new Error(`${c.file}:${c.line}: "${s}" is not a size`);
    return n;
  });
}

function handler(c: TestCase): string {
  const chain = sizes(c);
  switch (c.command) {
    case 'pick': {
      const pick = pickCompaction(chain, {
        minChainLength: Number(argValue(c, 'minChain', String(DEFAULT_PICKER_OPTIONS.minChainLength))),
        maxFragments: Number(argValue(c, 'maxFragments', String(DEFAULT_PICKER_OPTIONS.maxFragments))),
        ratio: Number(argValue(c, 'ratio', String(DEFAULT_PICKER_OPTIONS.ratio))),
      });
      if (pick === undefined) return 'none';
      return `merge [${pick.start},${pick.end}) sizes ${chain.slice(pick.start, pick.end).join(' ')} ${pick.major ? 'major' : 'minor'}`;
    }
    case 'score':
      return String(compactionScore(chain));
    default:
      throw new Error(`${c.file}:${c.line}: unknown command ${c.command}`);
  }
}

dataDriven(fileURLToPath(new URL('./testdata/compaction-picker.txt', import.meta.url)), () => handler);
