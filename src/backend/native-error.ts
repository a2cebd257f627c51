// Errors from the addon carry a `code` (native/errors.h); here they become the typed errors of
// src/errors.ts, so a failed allocation reads "OutOfMemory: …" with code E_OOM instead of an
// "internal error". The addon's argument checks (TypeError/RangeError) become ArgumentErrors:
// the TypeScript checks run first, so reaching them means a caller passed something odd.

import { ArgumentError, BackendError, CudaError, DataError, OutOfMemory, TrimnetError } from '../errors.js';

/** The typed error for a value thrown by native code. */
export function fromNative(err: unknown): unknown {
  if (err instanceof TrimnetError || !(err instanceof Error)) return err;
  const code = (err as { code?: unknown }).code;
  const options = { cause: err };
  switch (code) {
    case 'E_OOM':
      return new OutOfMemory(err.message, options);
    case 'E_CUDA':
      return new CudaError(err.message, options);
    case 'E_DATA':
      return new DataError(err.message);
    case 'E_BACKEND':
      return new BackendError(err.message, options);
  }
  if (err instanceof TypeError || err instanceof RangeError) return new ArgumentError(err.message);
  return new BackendError(err.message, options);
}

/** Runs a synchronous native call, rethrowing its failure as a typed error. */
export function callNative<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw fromNative(err);
  }
}

/** Runs an asynchronous native call: a synchronous throw (argument checks) or a rejection both reject with a typed error. */
export async function callNativeAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fromNative(err);
  }
}
