// Toasts and banners: the one place errors and confirmations surface, each a human sentence, some with an action.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { toUserError } from '@renderer/api/errors'

export type NoticeKind = 'error' | 'info' | 'success'

export interface Notice {
  id: number
  kind: NoticeKind
  message: string
  code?: string
  action?: { label: string; run: () => void }
}

export const useNotificationsStore = defineStore('notifications', () => {
  const notices = ref<Notice[]>([])
  let nextId = 1

  function push(notice: Omit<Notice, 'id'>, timeoutMs = notice.kind === 'error' ? 10_000 : 4_000): number {
    const id = nextId++
    // The same error twice in a row (e.g. a dead connection) is shown once.
    const last = notices.value.at(-1)
    if (last && last.message === notice.message && last.kind === notice.kind) return last.id
    notices.value = [...notices.value.slice(-4), { ...notice, id }]
    if (timeoutMs > 0) setTimeout(() => dismiss(id), timeoutMs)
    return id
  }

  function error(cause: unknown, action?: Notice['action']): number {
    const { code, message } = toUserError(cause)
    return push({ kind: 'error', code, message, action })
  }

  function info(message: string, action?: Notice['action']): number {
    return push({ kind: 'info', message, action })
  }

  function success(message: string, action?: Notice['action']): number {
    return push({ kind: 'success', message, action })
  }

  function dismiss(id: number): void {
    notices.value = notices.value.filter((n) => n.id !== id)
  }

  return { notices, push, error, info, success, dismiss }
})
