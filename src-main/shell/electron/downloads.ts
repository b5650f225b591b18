// Tells our window how a file it exported ended. The renderer saves PNGs and CSVs through an <a download> click, which
// Electron turns into the system's save dialog and a download the page itself never hears of again, so a save that
// failed (disk full, folder not writable) would otherwise pass in silence.
import { basename } from 'node:path'
import type { DownloadItem, Event, Session, WebContents } from 'electron'
import { IPC_EVENT_CHANNEL, type EventMessage, type FileSaved } from '../../contract/index'

export interface DownloadReportOptions {
  session: Pick<Session, 'on' | 'removeListener'>
  /** True when `url` is a page of our renderer (the app:// scheme or, in development, the dev server). */
  isAppUrl: (url: string) => boolean
  /** The web contents we created; only their downloads are reported, and only to them. */
  trustedContents: () => WebContents[]
}

/** Electron says only "interrupted", never why; these are the usual causes, in words a person can act on. */
export const SAVE_FAILED_REASON =
  'The disk may be full, the folder may not be writable, or the file may have been moved while it was written.'

/** What the renderer hears when a download ends in `state` (DownloadItem's 'done'). */
export function savedOutcome(
  item: Pick<DownloadItem, 'getFilename' | 'getSavePath'>,
  state: 'completed' | 'cancelled' | 'interrupted',
): FileSaved {
  if (state === 'completed') {
    // The save dialog may have renamed the file; the name the user reads is the one on disk.
    const path = item.getSavePath()
    return { fileName: basename(path) || item.getFilename(), outcome: 'saved', path }
  }
  if (state === 'cancelled') return { fileName: item.getFilename(), outcome: 'cancelled' }
  return { fileName: item.getFilename(), outcome: 'failed', reason: SAVE_FAILED_REASON }
}

/** Reports every download our own page starts once it ends; returns the function that stops listening. */
export function reportDownloads(options: DownloadReportOptions): () => void {
  const showsOurPage = (contents: WebContents | null): contents is WebContents =>
    !!contents &&
    !contents.isDestroyed() &&
    options.trustedContents().includes(contents) &&
    options.isAppUrl(contents.getURL())

  const onWillDownload = (_event: Event, item: DownloadItem, contents: WebContents | null) => {
    if (!showsOurPage(contents)) return
    item.once('done', (_doneEvent, state) => {
      // Checked again: the path is the user's, and must not reach a page that is no longer ours.
      if (!showsOurPage(contents)) return
      const message: EventMessage = { name: 'files.onSaved', payload: savedOutcome(item, state) }
      contents.send(IPC_EVENT_CHANNEL, message)
    })
  }
  options.session.on('will-download', onWillDownload)
  return () => {
    options.session.removeListener('will-download', onWillDownload)
  }
}
