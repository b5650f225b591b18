// The one error type a user may see: a stable code for programs and a sentence a person can act on.
// Shells (CLI, UI) show `message`; logs keep `detail`.

export type BottleneckErrorCode =
  | 'IDX_TRUNCATED'
  | 'IDX_INVALID'
  | 'DATASET_NOT_FOUND'
  | 'IMAGE_TOO_LARGE'
  | 'IMAGE_INVALID'
  | 'REFERENCE_MISMATCH'
  | 'FILE_NOT_FOUND'
  | 'MODEL_NOT_FOUND'
  | 'MODEL_CORRUPT'
  | 'MODEL_AMBIGUOUS'
  | 'INVALID_INPUT'
  | 'CANCELLED'
  | 'TRAINING_DIVERGED'
  | 'USAGE'
  | 'BACKEND_UNAVAILABLE'
  | 'STORE_ERROR'
  | 'DISK_FULL'
  | 'WRITE_FAILED'
  | (string & {})

export class BottleneckError extends Error {
  readonly code: BottleneckErrorCode
  readonly detail?: unknown

  constructor(code: BottleneckErrorCode, message: string, detail?: unknown) {
    super(message)
    this.name = 'BottleneckError'
    this.code = code
    this.detail = detail
  }
}

export function isBottleneckError(error: unknown): error is BottleneckError {
  return error instanceof BottleneckError
}
