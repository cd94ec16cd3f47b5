import { useEffect, useRef } from 'preact/hooks';
import { useConsole } from '../staff/console/context.js';

/**
 * A secret shown once (an API key, a kiosk token, a webhook signing secret): the core keeps only
 * its keyed hash, so this is the only time it can be read. It lives in this component's props
 * only and is gone when dismissed.
 */
export function ShownOnce({
  label,
  secret,
  onDismiss,
}: {
  label: string;
  secret: string;
  onDismiss: () => void;
}) {
  const { t } = useConsole();
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
