// One typed error class with a stable `code`, like better-sqlite3's SqliteError.
// Wording follows sharp: "Expected X for Y but received Z".

export type TrimnetErrorCode =
  | 'E_SHAPE' // shapes do not fit together
  | 'E_ARG' // an argument is out of range or of the wrong type
  | 'E_BACKEND' // a backend is unavailable or failed
  | 'E_OOM' // native code could not allocate memory (host or device)
  | 'E_CUDA' // the CUDA runtime or driver reported an error
  | 'E_FORMAT' // a file is malformed (safetensors, npy, idx)
  | 'E_IO' // a file could not be read or written
  | 'E_DATA' // data is unusable (NaN, missing dataset)
  | 'E_SPACE'; // vectors from different embedding spaces were compared

export class TrimnetError extends Error {
  readonly code: TrimnetErrorCode;
  constructor(code: TrimnetErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrimnetError';
    this.code = code;
  }
}

export class ShapeError extends TrimnetError {
  constructor(message: string) {
    super('E_SHAPE', message);
    this.name = 'ShapeError';
  }
}

export class ArgumentError extends TrimnetError {
  constructor(message: string) {
    super('E_ARG', message);
    this.name = 'ArgumentError';
  }
}

export class BackendError extends TrimnetError {
  constructor(message: string, options?: { cause?: unknown }, code: 'E_BACKEND' | 'E_OOM' | 'E_CUDA' = 'E_BACKEND') {
    super(code, message, options);
    this.name = 'BackendError';
  }
}

/** Native code could not allocate what the call needs (std::bad_alloc, cudaErrorMemoryAllocation). */
export class OutOfMemory extends BackendError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options, 'E_OOM');
    this.name = 'OutOfMemory';
  }
}

/** The CUDA runtime or driver failed (the message names the call, file and line). */
export class CudaError extends BackendError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options, 'E_CUDA');
    this.name = 'CudaError';
  }
}

export class FormatError extends TrimnetError {
  constructor(message: string) {
    super('E_FORMAT', message);
    this.name = 'FormatError';
  }
}

export class DataError extends TrimnetError {
  constructor(message: string) {
    super('E_DATA', message);
    this.name = 'DataError';
  }
}

export class SpaceError extends TrimnetError {
  constructor(message: string) {
    super('E_SPACE', message);
    this.name = 'SpaceError';
  }
}

/** "Expected <what> for <name> but received <value>" */
export function expected(what: string, name: string, value: unknown): ArgumentError {
  return new ArgumentError(`Expected ${what} for ${name} but received ${describe(value)}`);
}

export function describe(value: unknown): string {
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as Float32Array).length}`;
  return typeof value;
}
