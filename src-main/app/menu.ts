import { Menu, shell, type MenuItemConstructorOptions } from 'electron';
import { externalUrlAllowed } from './window-policy.js';

/** shell.openExternal for allow-listed pages only (EXTERNAL_URL_ALLOW_LIST). */
function openAllowed(url: string): void {
  if (externalUrlAllowed(url)) void shell.openExternal(url);
}

/** Menu items open pages of the renderer by in-app hash navigation (allowed by the window policy). */
export function buildMenu(options: { dataDir: string; isMac: boolean; navigate: (hash: string) => void }): Menu {
  const template: MenuItemConstructorOptions[] = [
    ...(options.isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Import Data…', accelerator: 'CmdOrCtrl+O', click: () => options.navigate('#/data?import=1') },
        { label: 'Export Report…', accelerator: 'CmdOrCtrl+E', click: () => options.navigate('#/reports') },
        { type: 'separator' },
        { label: 'Open Data Directory', click: () => void shell.openPath(options.dataDir) },
        { type: 'separator' },
        options.isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    {
      role: 'help',
      submenu: [{ label: 'TinyTimeMixer on Hugging Face', click: () => openAllowed('https://huggingface.co/ibm-granite/granite-timeseries-ttm-r2') }],
    },
  ];
  return Menu.buildFromTemplate(template);
}
