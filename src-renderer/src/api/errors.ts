// Every failure the UI shows goes through here, so the user reads a sentence with a way forward, never a stack.
import { isApiErrorLike } from '@contract'
import { ImageDecodeError } from '@renderer/lib/images'

export interface UserError {
  code: string
  message: string
}

/**
 * Extra advice for codes whose message alone does not say what to do next. TRAINER_CRASHED has none: the back end's
 * messages say it (training resumes by itself, resume the model, start again, or try again), and one fixed sentence
 * contradicted most of them.
 */
const ADVICE: Record<string, string> = {
  TRAINER_UNAVAILABLE:
    'Restart Bottleneck; if it keeps happening, check the log folder shown under Settings.',
  DISCONNECTED: 'Restart the Bottleneck server (npm run serve) and reload this page.',
}

export function toUserError(error: unknown): UserError {
  if (error instanceof ImageDecodeError) return { code: 'IMAGE_INVALID', message: error.message }
  // ApiError from the WebSocket client, or the plain { code, message } a preload call rejects with.
  if (isApiErrorLike(error)) return withAdvice(error.code, error.message)
  return {
    code: 'INTERNAL',
    message: 'Something unexpected went wrong. Try again; if it keeps happening, restart Bottleneck.',
  }
}

function withAdvice(code: string, message: string): UserError {
  const advice = ADVICE[code]
  return { code, message: advice && !message.includes(advice) ? `${message} ${advice}` : message }
}
