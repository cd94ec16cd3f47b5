import { render } from 'preact';
import { createTranslator, preferredLanguage } from '../shared/i18n/index.js';
import '../shared/base.css';
import './kiosk.css';
import { KioskApp } from './app.js';
import { StaffExit, shellBridge } from './staff-exit.js';

const DEFAULT_IDLE_SECONDS = 90;

/** `?idle=<seconds>` sets the idle timeout (a test bench, a busy branch); 2 at least. */
function idleSeconds(): number {
  const value = Number(new URLSearchParams(location.search).get('idle'));
  return Number.isInteger(value) && value >= 2 ? value : DEFAULT_IDLE_SECONDS;
}

async function main(): Promise<void> {
  const language = preferredLanguage();
  const i18n = await createTranslator(language);
  document.documentElement.lang = language;
  const root = document.getElementById('app');
  // The staff exit exists only inside the kiosk shell (its preload exposes the bridge).
  const bridge = shellBridge();
  if (root)
    render(
      <>
        <KioskApp i18n={i18n} defaultLanguage={language} idleSeconds={idleSeconds()} />
        {bridge && <StaffExit i18n={i18n} bridge={bridge} idleSeconds={idleSeconds()} />}
      </>,
      root,
    );
}

void main();
