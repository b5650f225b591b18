// The Draw view's state that must outlive the view: the drawing's history (strokes and clears, so Undo works after a
// view switch too), the brush, and the noise the user chose for the model it was chosen for.
import { defineStore } from 'pinia'
import { markRaw, ref } from 'vue'
import { createDrawingHistory } from '@renderer/lib/drawing-history'
import type { NoiseType } from '@renderer/lib/noise'

export const useDrawingStore = defineStore('drawing', () => {
  // Not reactive: the pad appends points on every pointer event and repaints itself; nothing renders from this.
  const history = markRaw(createDrawingHistory())
  const brushSize = ref(18)
  const eraser = ref(false)
  const noiseType = ref<NoiseType>('gaussian')
  const noiseLevel = ref(0)
  /** The model the noise settings belong to: choosing another model starts again from the noise it was trained on. */
  const noiseModelId = ref<string | null>(null)
  return { history, brushSize, eraser, noiseType, noiseLevel, noiseModelId }
})
