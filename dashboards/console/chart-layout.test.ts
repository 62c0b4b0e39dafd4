// The console's layout decisions as tables (console-layout.test.ts checks the drawn result in Chromium).
import { describe, expect, it } from 'vitest';
import {
  axisSize,
  emptyPanel,
  keepSeparated,
  markerBorder,
  PALETTE,
  pickerOptions,
  seriesStyle,
  timeTickLabel,
  widestTimeLabel,
} from './page/chart-layout.js';

/** CIE76 colour difference in CIELAB: about 2.3 is just noticeable; under ~20, two thin lines are easily confused. */
function deltaE(a: string, b: string): number {
  const lab = (hex: string) => {
    const [r, g, bl] = [1, 3, 5]
      .map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255)
      .map((v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)) as [number, number, number];
    const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
    const x = f((0.4124 * r + 0.3576 * g + 0.1805 * bl) / 0.95047);
    const y = f(0.2126 * r + 0.7152 * g + 0.0722 * bl);
    const z = f((0.0193 * r + 0.1192 * g + 0.9505 * bl) / 1.08883);
    return [116 * y - 16, 500 * (x - y), 200 * (y - z)];
  };
  const [p, q] = [lab(a), lab(b)];
  return Math.hypot(p[0]! - q[0]!, p[1]! - q[1]!, p[2]! - q[2]!);
}

describe('series styles', () => {
  it('uses colours no two of which are easily confused, neighbours even less', () => {
    // The old palette had two ambers 17 apart and two purples 6 apart.
    for (let i = 0; i < PALETTE.length; i++)
      for (let j = i + 1; j < PALETTE.length; j++)
        expect(deltaE(PALETTE[i]!, PALETTE[j]!), `${PALETTE[i]} vs ${PALETTE[j]}`).toBeGreaterThan(20);
    for (let i = 1; i < 30; i++) {
      const [a, b] = [seriesStyle(i - 1), seriesStyle(i)];
      expect(deltaE(a.stroke, b.stroke), `series ${i - 1} and ${i}`).toBeGreaterThan(25);
    }
  });

  it('gives each of the first 30 series its own colour and dash', () => {
    const styles = Array.from({ length: 30 }, (_, i) => JSON.stringify(seriesStyle(i)));
    expect(new Set(styles).size).toBe(30);
  });

  it.each([
    [0, { stroke: PALETTE[0], dash: [] }, 'solid'],
    [10, { stroke: PALETTE[0], dash: [8, 4] }, 'dashed'],
    [21, { stroke: PALETTE[1], dash: [2, 3] }, 'dotted'],
    [30, { stroke: PALETTE[0], dash: [] }, 'solid'],
  ])('series %i is %o, with a %s legend marker', (i, style, marker) => {
    expect(seriesStyle(i)).toEqual(style);
    expect(markerBorder(seriesStyle(i).dash)).toBe(marker);
  });
});

describe('time tick labels', () => {
  const at = new Date(2026, 10, 30, 23, 5, 7);
  it.each([
    ['an hour, 5-minute ticks', 3600, 300, '23:05'],
    ['5 minutes, 30-second ticks', 300, 30, '23:05:07'],
    ['a week, 12-hour ticks', 604_800, 43_200, '11-30 23:05'],
    ['a week, daily ticks', 604_800, 86_400, '11-30'],
  ])('%s: %s', (_name, span, incr, label) => {
    expect(timeTickLabel(at, span, incr)).toBe(label);
  });

  it('measures room for the widest label of the span', () => {
    expect(widestTimeLabel(3600)).toMatch(/^\d\d:\d\d$/);
    expect(widestTimeLabel(300)).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(widestTimeLabel(604_800)).toMatch(/^\d\d-\d\d \d\d:\d\d$/);
  });
});

describe('keepSeparated', () => {
  const bounds = { min: 0, max: 200, gap: 8 };
  it.each([
    ['all fit', [20, 80, 140], 30, [true, true, true]],
    ['every other one when they would touch', [20, 50, 80, 110, 140], 30, [true, false, true, false, true]],
    ['not one past the left edge', [10, 60], 30, [false, true]],
    ['not one past the right edge', [100, 190], 30, [true, false]],
  ])('%s', (_name, centers, width, keep) => {
    expect(
      keepSeparated(
        centers.map((center) => ({ center, width })),
        bounds,
      ),
    ).toEqual(keep);
  });

  it('leaves out blank labels', () => {
    expect(keepSeparated([{ center: 50, width: 0 }], bounds)).toEqual([false]);
  });
});

describe('axisSize', () => {
  it.each([
    ['the widest label decides', [20, 41.2, 30], 5 + 4 + 41.2 + 4],
    ['no labels: tick and gap only', [], 5 + 4 + 4],
  ])('%s', (_name, widths, size) => {
    expect(axisSize(widths, { tickSize: 5, gap: 4 })).toBe(Math.ceil(size));
  });
});

describe('emptyPanel', () => {
  it.each([
    [
      'an alerts table is healthy when empty',
      [{ expr: 'sum by (alertname) (ALERTS)' }],
      { text: 'none firing', className: 'none-firing', state: 'ok' },
    ],
    ['any other panel has no data', [{ expr: 'sum(rate(x_total[1m]))' }], { text: 'no data', className: 'empty', state: 'empty' }],
    [
      'a panel mixing ALERTS with other queries has no data',
      [{ expr: 'ALERTS' }, { expr: 'up' }],
      { text: 'no data', className: 'empty', state: 'empty' },
    ],
    ['ALERTS_FOR_STATE is not ALERTS', [{ expr: 'ALERTS_FOR_STATE' }], { text: 'no data', className: 'empty', state: 'empty' }],
  ])('%s', (_name, targets, expected) => {
    expect(emptyPanel({ targets })).toEqual(expected);
  });

  it('a panel that states what nothing means (noValue) says so, and is answering', () =>
    expect(emptyPanel({ targets: [{ expr: 'x' }], fieldConfig: { defaults: { noValue: 'insufficient data' } } })).toEqual({
      text: 'insufficient data',
      className: 'no-value',
      state: 'ok',
    }));
});

describe('pickerOptions', () => {
  it('shows titles, and the uid when a dashboard has none', () => {
    expect(
      pickerOptions([
        { uid: 'event-bus-overview', title: 'Event Bus Overview' },
        { uid: 'untitled', title: '' },
      ]),
    ).toEqual([
      { value: 'event-bus-overview', text: 'Event Bus Overview' },
      { value: 'untitled', text: 'untitled' },
    ]);
  });
});
