// The median every benchmark reports (the middle value; the mean of the two middle ones for an even count).

/** The median of the values; NaN for none. */
export function median(values: number[]): number {
    if (values.length === 0) return NaN;
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** "median (minimum–maximum)" of the values, with `digits` decimals. */
export function medianRange(values: number[], digits = 0): string {
    return `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;
}
