import { useEffect, useRef, useState } from 'preact/hooks';
import { useConsole } from '../staff/console/context.js';

/**
 * A secret shown once (an API key, a kiosk token, a webhook signing secret): the core keeps only
 * its keyed hash, so this is the only time it can be read. It lives in the hook's state only and
 * is gone when dismissed.
 */
export interface Secret {
  /**
   * The panel's title as a catalogue key and its values: translated as it renders, so it follows
   * a language picked while the secret is shown (a string made at creation stayed in the old one).
   */
  readonly label: readonly [key: string, values: Record<string, string>];
  readonly secret: string;
}

/** `show` a secret; `panel` is the focused region showing it (null when none is shown). */
export function useShownOnce() {
  const [shown, setShown] = useState<Secret | null>(null);
  const panel = shown && (
    <ShownOnce label={shown.label} secret={shown.secret} onDismiss={() => setShown(null)} />
  );
  return { show: setShown, panel };
}

function ShownOnce({
  label: [key, values],
  secret,
  onDismiss,
}: Secret & { onDismiss: () => void }) {
  const { t } = useConsole();
  const label = t(key, values);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <div class="notice stack" role="region" aria-label={label} tabIndex={-1} ref={ref}>
      <p>
        <strong>{label}</strong>
      </p>
      <p>{t('admin.shownOnce')}</p>
      <output class="secret" data-testid="shown-once">
        {secret}
      </output>
      <div>
        <button type="button" onClick={onDismiss}>
          {t('admin.storedIt')}
        </button>
      </div>
    </div>
  );
}
