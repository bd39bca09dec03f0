import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { detectLanguage, startI18n } from './i18n';
import './styles.css';

/** Entry point: the language first (catalogues and, for ii, the Intl polyfills), then the app. */
async function start(): Promise<void> {
  await startI18n(detectLanguage());
  const root = document.getElementById('root');
  if (root) createRoot(root).render(<StrictMode><App /></StrictMode>);
}

void start();
