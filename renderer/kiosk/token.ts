/**
 * The kiosk's credentials: the token `verikiosk kiosks add` (or the admin pages) showed once.
 * It arrives in the URL fragment (`/kiosk#token=vkk_…`, never sent to a server or kept in
 * history) or is typed on the activation screen, and is kept in localStorage so a restart of the
 * kiosk window needs no one. It is the kiosk's, not a customer's: nothing personal is stored.
 */
const KEY = 'verikiosk.kioskToken';
const TOKEN = /^vkk_[A-Za-z0-9_-]{8,200}$/;

export function isKioskToken(value: string): boolean {
  return TOKEN.test(value);
}

/** Takes a token from the fragment (then removes it from the address bar) or storage. */
export function loadKioskToken(): string | null {
  const fragment = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fragment !== null && isKioskToken(fragment)) {
    saveKioskToken(fragment);
    history.replaceState(null, '', location.pathname + location.search);
    return fragment;
  }
  const stored = localStorage.getItem(KEY);
  return stored !== null && isKioskToken(stored) ? stored : null;
}

export function saveKioskToken(token: string): void {
  localStorage.setItem(KEY, token);
}

export function forgetKioskToken(): void {
  localStorage.removeItem(KEY);
}
