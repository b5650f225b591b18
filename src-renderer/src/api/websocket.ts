// Browser transport: the contract's WebSocket client, connected to the server that served this page.
import type { BottleneckApi } from '@contract'
import { createWsClient } from '../../../src-main/contract/ws-client'

const CONNECT_TIMEOUT_MS = 10_000

export async function connectWebSocketApi(): Promise<BottleneckApi> {
  const client = createWsClient()
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject({
          code: 'DISCONNECTED',
          message:
            'Bottleneck could not reach its server. Start it with `npm run serve` and open the address it prints (with its token).',
        }),
      CONNECT_TIMEOUT_MS,
    )
  })
  try {
    await Promise.race([client.ready, timeout])
  } catch (error) {
    client.close()
    throw error
  } finally {
    clearTimeout(timer)
  }
  return client.api
}
