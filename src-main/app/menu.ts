import { Menu, shell, type MenuItemConstructorOptions } from 'electron';

export function buildMenu(options: { dataDir: string; isMac: boolean }): Menu {
  const template: MenuItemConstructorOptions[] = [
    ...(options.isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
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
      submenu: [
        { label: 'TinyTimeMixer on Hugging Face', click: () => void shell.openExternal('https://huggingface.co/ibm-granite/granite-timeseries-ttm-r2') },
      ],
    },
  ];
  return Menu.buildFromTemplate(template);
}
