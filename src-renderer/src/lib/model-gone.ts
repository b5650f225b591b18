// A model that left the store while a view was using it (deleted in another window, or its folder removed by hand):
// how the Compare and Latent views recognise it and name it, instead of showing the back end's id and store path.
import { toUserError } from '@renderer/api/errors'

export function isModelGone(error: unknown): boolean {
  return toUserError(error).code === 'MODEL_NOT_FOUND'
}

export function modelGoneMessage(name: string): string {
  return `"${name}" is no longer in the store; it may have been deleted in another window or on disk.`
}
