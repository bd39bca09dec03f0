import { render } from 'preact';
import { App } from './app';
import { detectLanguage, startI18n } from './i18n';
import { registerServiceWorker } from './sw-register';
import './styles.css';

/** A division preset by the link or QR code (`/app/?division=<code>`), remembered for the next reports. */
const PRESET_KEY = 'tongban.division';
const preset = new URLSearchParams(location.search).get('division');
if (preset && /^[0-9]{4,12}$/.test(preset)) {
  localStorage.setItem(PRESET_KEY, preset);
  history.replaceState(null, '', location.pathname + location.hash);
}

void startI18n(detectLanguage()).then(() => {
  const root = document.getElementById('app')!;
  root.textContent = ''; // the placeholder shown while the scripts load
  render(<App presetDivision={localStorage.getItem(PRESET_KEY) ?? undefined} />, root);
  // The budget test measures the first render of the app (not the placeholder) from this mark.
  performance.mark('tongban:rendered');
  registerServiceWorker();
});
