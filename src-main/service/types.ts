// What a shell (Electron IPC, web socket, CLI, tests) needs from the service: one entry for every call, one event
// stream, and a shutdown. Shells never reach past this to the trainer or the store.
import type { Envelope, EventMessage } from '../contract/index'

/** Native dialogs the Electron shell lends the service; the web shell has none, so paths there are typed. */
export interface Dialogs {
  /** A folder to read (import a model, add a dataset); undefined when the user cancelled. */
  chooseFolder(title: string): Promise<string | undefined>
  /** A folder to write into (export a model); undefined when the user cancelled. */
  chooseSaveFolder(title: string, suggestedName: string): Promise<string | undefined>
}

export interface Service {
  /** Parses `payload` with the call's schema, runs the call, and answers with an envelope. Never rejects. */
  handle(name: string, payload: unknown): Promise<Envelope<unknown>>
  onEvent(listener: (message: EventMessage) => void): () => void
  /** Stops the trainer processes (politely, then by force) and flushes state. */
  close(): Promise<void>
}
