// Types for spd.mjs.
export function spdMatrix(n: number, next: () => number, shift?: number): Float64Array;
