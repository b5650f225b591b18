// A model that left the store while a view was using it (deleted in another window, or its folder removed by hand):
// how the views recognise it, name it, and drop it from the model list, so that each says so once and moves on.
import { toUserError } from '@renderer/api/errors'
import { useModelsStore } from '@renderer/stores/models'
import { useNotificationsStore } from '@renderer/stores/notifications'

export function isModelGone(error: unknown): boolean {
  return toUserError(error).code === 'MODEL_NOT_FOUND'
}

function modelGoneMessage(name: string | undefined): string {
  const model = name === undefined ? 'The model you were using' : `"${name}"`
  return `${model} is no longer in the store; it may have been deleted in another window or on disk.`
}

/** The reload under way for a gone model, per models store: requests that find the model gone together share it. */
const reloads = new WeakMap<object, Promise<void>>()

/**
 * What a view does when the back end answers that model `id` is gone: reloads the model list, which drops the model
 * so every picker moves on to another, and returns the sentence naming it (not the back end's id and store path), for
 * the view to show once. A reload that fails is reported here, once, as a notification: the pickers then still offer
 * the gone model, and the user should know why.
 */
export async function forgetGoneModel(id: string): Promise<string> {
  // Both stores are taken before waiting: afterwards the active Pinia may be another app's (in tests, another test's).
  const models = useModelsStore()
  const notifications = useNotificationsStore()
  const name = models.models.find((model) => model.id === id)?.name
  let reload = reloads.get(models)
  if (!reload) {
    reload = models
      .refresh()
      .catch((cause) => void notifications.error(cause))
      .finally(() => reloads.delete(models))
    reloads.set(models, reload)
  }
  await reload
  return modelGoneMessage(name)
}
