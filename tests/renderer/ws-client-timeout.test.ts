// What the browser version shows when the back end takes longer than a call may wait: a sentence a person can read,
// naming what was being done, not the internal call name.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { isApiErrorLike } from '../../src-main/contract/index'
import { createWsClient, type WebSocketLike } from '../../src-main/contract/ws-client'

/** A socket that connects and then never answers. */
function silentSocket(): WebSocketLike {
  const socket: WebSocketLike = {
    readyState: 1,
    send: () => {},
    close: () => {},
    onopen: null,
    onclose: null,
    onerror: null,
    onmessage: null,
  }
  queueMicrotask(() => socket.onopen?.({}))
  return socket
}

async function failureOf(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  const outcome = await call.then(
    () => null,
    (error: unknown) => error,
  )
  if (!isApiErrorLike(outcome)) throw new Error('the call was expected to fail with an API error')
  return outcome
}

describe('a call the back end does not answer in time', () => {
  afterEach(() => vi.useRealTimers())

  it('fails with TIMEOUT and a plain sentence that says what was being done', async () => {
    vi.useFakeTimers()
    const client = createWsClient({ url: 'ws://test/ws', createSocket: silentSocket })
    const map = failureOf(client.api.latent.map({ id: 'model-1' }))
    await vi.advanceTimersByTimeAsync(120_000)
    const error = await map
    expect(error.code).toBe('TIMEOUT')
    expect(error.message).toBe('The back end did not answer within 120 s (making the latent map).')
    expect(error.message).not.toContain('latent.map')
    client.close()
  })

  it('names what each call was doing', async () => {
    vi.useFakeTimers()
    const client = createWsClient({ url: 'ws://test/ws', createSocket: silentSocket, callTimeoutMs: 5_000 })
    const list = failureOf(client.api.models.list())
    const rename = failureOf(client.api.models.rename({ id: 'model-1', name: 'Digits' }))
    await vi.advanceTimersByTimeAsync(5_000)
    expect((await list).message).toBe('The back end did not answer within 5 s (listing the models).')
    expect((await rename).message).toBe('The back end did not answer within 5 s (renaming the model).')
    client.close()
  })
})
