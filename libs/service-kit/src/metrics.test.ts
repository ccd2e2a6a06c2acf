import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from './metrics.js';

describe('MetricsRegistry', () => {
  it('renders counters and gauges in the Prometheus text format', () => {
    const r = new MetricsRegistry();
    const c = r.counter('x_total', 'Things.');
    const g = r.gauge('y', 'Level.');
    c.inc({ route: '/a' });
    c.inc({ route: '/a' }, 2);
    c.inc({ route: '/b' });
    g.set(7);
    g.set(9);
    expect(r.render()).toBe(
      ['# HELP x_total Things.', '# TYPE x_total counter', 'x_total{route="/a"} 3', 'x_total{route="/b"} 1', '# HELP y Level.', '# TYPE y gauge', 'y 9', ''].join(
        '\n',
      ),
    );
  });

  it('renders cumulative histogram buckets with +Inf, sum and count', () => {
    const r = new MetricsRegistry();
    const h = r.histogram('lat_seconds', 'Latency.', [0.1, 1]);
    h.observe(0.05, { m: 'GET' });
    h.observe(0.5, { m: 'GET' });
    h.observe(5, { m: 'GET' });
    expect(r.render().split('\n')).toEqual([
      '# HELP lat_seconds Latency.',
      '# TYPE lat_seconds histogram',
      'lat_seconds_bucket{m="GET",le="0.1"} 1',
      'lat_seconds_bucket{m="GET",le="1"} 2',
      'lat_seconds_bucket{m="GET",le="+Inf"} 3',
      'lat_seconds_sum{m="GET"} 5.55',
      'lat_seconds_count{m="GET"} 3',
      '',
    ]);
  });

  it('escapes label values', () => {
    const r = new MetricsRegistry();
    r.counter('e_total', 'E.').inc({ v: 'a"b\\c\nd' });
    expect(r.render()).toContain('e_total{v="a\\"b\\\\c\\nd"} 1');
  });
});
