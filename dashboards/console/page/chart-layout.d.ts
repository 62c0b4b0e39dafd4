// Types for chart-layout.js, which the browser loads as is (so it stays plain JavaScript).
export declare const PALETTE: readonly string[];
export declare const DASHES: readonly (readonly number[])[];
export declare function seriesStyle(i: number): { stroke: string; dash: readonly number[] };
export declare function markerBorder(dash: readonly number[] | undefined): 'solid' | 'dashed' | 'dotted';
export declare function timeTickLabel(date: Date, spanSeconds: number, incrSeconds: number): string;
export declare function widestTimeLabel(spanSeconds: number): string;
export declare function keepSeparated(
  labels: readonly { center: number; width: number }[],
  bounds: { min: number; max: number; gap: number },
): boolean[];
export declare function axisSize(labelWidths: readonly number[], axis: { tickSize: number; gap: number }): number;
export declare function emptyPanel(panel: { targets?: readonly { expr?: string }[]; fieldConfig?: { defaults?: { noValue?: string } } }): {
  text: string;
  className: 'none-firing' | 'empty';
  state: 'ok' | 'empty';
};
export declare function pickerOptions(dashboards: readonly { uid: string; title?: string }[]): { value: string; text: string }[];
