// Types for tolerance.mjs (plain JS so the child-process checks can import it too).
type Arr = ArrayLike<number>;
interface SvdArrays {
  U: Arr;
  S: Arr;
  V: Arr;
}
export function gemmTolerance(k: number): number;
export function firstMismatch(got: Arr, want: Arr, tol: number, label: string): string | null;
export function frobenius(a: Arr): number;
export function svdValueTolerance(sRef: Arr): number;
export function svdReconstructionTolerance(a: Arr, m: number, n: number): number;
export const SVD_ORTHONORMAL_TOLERANCE: number;
export function svdReconstructionError(r: SvdArrays, a: Arr, m: number, n: number, full: boolean): number;
export function orthError(x: Arr, rows: number, cols: number): number;
export function svdProblems(r: SvdArrays, a: Arr, m: number, n: number, full: boolean, label: string): string[];
