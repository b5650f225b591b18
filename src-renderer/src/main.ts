// Renderer entry: connect to the back end (preload or WebSocket), load what every view needs, mount the app.
import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { connectApi } from './api'
import { useSystemStore } from './stores/system'
import { useTrainingStore } from './stores/training'
import { useModelsStore } from './stores/models'
import { useNotificationsStore } from './stores/notifications'
import { useFilesStore } from './stores/files'
import './styles.css'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)
app.mount('#app')

async function start(): Promise<void> {
  const system = useSystemStore()
  const notifications = useNotificationsStore()
  try {
    await connectApi()
  } catch (error) {
    system.markFailed(error)
    return
  }
  system.connection = 'connected'
  const models = useModelsStore()
  models.watchChanges((error) => notifications.error(error))
  useFilesStore().watchSaves()
  await Promise.all([system.load(), useTrainingStore().attach(), models.refresh()]).catch((error) =>
    notifications.error(error),
  )
}

void start()
