// Which view is showing, mirrored in the URL hash (#/draw, #/models/<id>) so reloads and Back keep their place.
import { defineStore } from 'pinia'
import { ref } from 'vue'

export const VIEWS = ['train', 'draw', 'compare', 'models', 'latent', 'denoise'] as const
export type ViewName = (typeof VIEWS)[number]

export const VIEW_LABELS: Record<ViewName, string> = {
  train: 'Train',
  draw: 'Draw',
  compare: 'Compare',
  models: 'Models',
  denoise: 'Denoise',
  latent: 'Latent',
}

export function parseHash(hash: string): { view: ViewName; modelId: string | null } {
  const [view, id] = hash.replace(/^#\/?/, '').split('/')
  const known = (VIEWS as readonly string[]).includes(view ?? '') ? (view as ViewName) : 'train'
  return { view: known, modelId: known === 'models' && id ? decodeURIComponent(id) : null }
}

export const useNavigationStore = defineStore('navigation', () => {
  const initial = parseHash(typeof location === 'undefined' ? '' : location.hash)
  const view = ref<ViewName>(initial.view)
  /** The model whose detail page is open in the Models view. */
  const detailModelId = ref<string | null>(initial.modelId)

  function go(next: ViewName, modelId: string | null = null): void {
    view.value = next
    detailModelId.value = next === 'models' ? modelId : null
    const hash = `#/${next}${detailModelId.value ? `/${encodeURIComponent(detailModelId.value)}` : ''}`
    if (typeof location !== 'undefined' && location.hash !== hash) history.pushState(null, '', hash)
  }

  function syncFromLocation(): void {
    const parsed = parseHash(location.hash)
    view.value = parsed.view
    detailModelId.value = parsed.modelId
  }

  return { view, detailModelId, go, syncFromLocation }
})
