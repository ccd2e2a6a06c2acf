import { describe, expect, it } from 'vitest';
import { prefersCellBlock } from './cell-content.js';

describe('prefersCellBlock', () => {
  it('follows the Accept header, JSON by default', () => {
    expect(prefersCellBlock(undefined)).toBe(false);
    expect(prefersCellBlock('*/*')).toBe(false);
    expect(prefersCellBlock('application/json')).toBe(false);
    expect(prefersCellBlock('application/x-kdi-cells')).toBe(true);
    expect(prefersCellBlock('Application/X-KDI-Cells; q=1')).toBe(true);
    expect(prefersCellBlock('application/x-kdi-cells, */*;q=0.1')).toBe(true);
    expect(prefersCellBlock('application/x-kdi-cells;q=0.5, application/json')).toBe(false);
    expect(prefersCellBlock('application/x-kdi-cells;q=0')).toBe(false);
  });
});
