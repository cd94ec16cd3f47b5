/**
 * The staff exit (UI-4), only inside the kiosk shell: a long press on the top-left corner, the
 * keyboard combination Ctrl+Alt+Shift+E or the shell's own gesture opens a PIN pad; the PIN goes
 * to the shell's bridge, which asks the core with the kiosk's token. The answer is accepted,
 * refused or locked, never whose PIN it was. The PIN lives in this component's state only and is
 * cleared after every attempt and on close. In a plain browser (no bridge) none of this exists.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { BRIDGE_KEY, KioskBridge, StaffExitAnswer } from '../../main/contract.js';
import type { Translator } from '../shared/i18n/index.js';

/** How long the corner is held before the PIN pad opens, ms. */
const LONG_PRESS_MS = 2000;
const MAX_PIN = 12;
const DIGITS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0'] as const;

/** The preload's global (a type-only import may not bring the value: tsc keeps the two equal). */
const BRIDGE: typeof BRIDGE_KEY = 'verikioskShell';

/** The shell's bridge when the page runs inside the kiosk shell, otherwise null. */
export function shellBridge(): KioskBridge | null {
  const candidate = (window as unknown as Record<string, unknown>)[BRIDGE];
  if (typeof candidate !== 'object' || candidate === null) return null;
  const bridge = candidate as Partial<KioskBridge>;
  return typeof bridge.requestStaffExit === 'function' ? (candidate as KioskBridge) : null;
}

/** Ctrl+Alt+Shift+E: the same combination the shell's main process watches (policy.ts). */
function isExitCombo(event: KeyboardEvent): boolean {
  return event.ctrlKey && event.altKey && event.shiftKey && !event.metaKey && event.code === 'KeyE';
}

type Outcome = StaffExitAnswer | 'checking' | null;

export function StaffExit({
  i18n,
  bridge,
  idleSeconds,
}: {
  i18n: Translator;
  bridge: KioskBridge;
  idleSeconds: number;
}) {
  const [open, setOpen] = useState(false);
  const isOpen = useRef(false);
  const press = useRef<ReturnType<typeof setTimeout> | null>(null);
  const returnFocus = useRef<HTMLElement | null>(null);

  const show = () => {
    if (isOpen.current) return;
    isOpen.current = true;
    returnFocus.current =
      document.activeElement instanceof HTMLElement ? document.activeElement : null;
    setOpen(true);
  };
  const hide = () => {
    isOpen.current = false;
    setOpen(false);
    const target = returnFocus.current;
    returnFocus.current = null;
    if (target?.isConnected) target.focus();
  };

  useEffect(() => {
    bridge.onStaffExitGesture(() => show());
    const onKey = (event: KeyboardEvent) => {
      if (!isExitCombo(event)) return;
      event.preventDefault();
      show();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  const release = () => {
    if (press.current !== null) clearTimeout(press.current);
    press.current = null;
  };
  useEffect(() => release, []);

  return (
    <>
      <div
        class="staff-exit-corner"
        data-testid="staff-exit-corner"
        onPointerDown={(event) => {
          // The press must not move the focus: it returns where it was when the pad closes.
          event.preventDefault();
          release();
          press.current = setTimeout(() => {
            press.current = null;
            show();
          }, LONG_PRESS_MS);
        }}
        onPointerUp={release}
        onPointerLeave={release}
        onPointerCancel={release}
        onMouseDown={(e) => e.preventDefault()}
        onContextMenu={(e) => e.preventDefault()}
      />
      {open && <PinPad i18n={i18n} bridge={bridge} idleSeconds={idleSeconds} onClose={hide} />}
    </>
  );
}

function PinPad({
  i18n,
  bridge,
  idleSeconds,
  onClose,
}: {
  i18n: Translator;
  bridge: KioskBridge;
  idleSeconds: number;
  onClose: () => void;
}) {
  const { t } = i18n;
  const [pin, setPin] = useState('');
  const [outcome, setOutcome] = useState<Outcome>(null);
  const dialog = useRef<HTMLDivElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const busy = outcome === 'checking' || outcome === 'allowed';

  const close = () => {
    setPin('');
    onClose();
  };

  useEffect(() => {
    input.current?.focus();
    return () => setPin('');
  }, []);

  // Closes on idle like the rest of the kiosk: idleSeconds without a touch or a key in it.
  useEffect(() => {
    let timer = setTimeout(close, idleSeconds * 1000);
    const touched = () => {
      clearTimeout(timer);
      timer = setTimeout(close, idleSeconds * 1000);
    };
    const node = dialog.current;
    node?.addEventListener('pointerdown', touched);
    node?.addEventListener('keydown', touched);
    return () => {
      clearTimeout(timer);
      node?.removeEventListener('pointerdown', touched);
      node?.removeEventListener('keydown', touched);
    };
  }, []);

  const append = (digit: string) => {
    if (busy) return;
    setOutcome(null);
    setPin((p) => (p.length < MAX_PIN ? p + digit : p));
    input.current?.focus();
  };

  const submit = async () => {
    if (busy || pin === '') return;
    const attempt = pin;
    setPin('');
    setOutcome('checking');
    let answer: StaffExitAnswer;
    try {
      answer = await bridge.requestStaffExit(attempt);
    } catch {
      answer = 'refused';
    }
    setOutcome(answer === 'allowed' || answer === 'locked' ? answer : 'refused');
    if (answer !== 'allowed') input.current?.focus();
  };

  // The focus stays in the dialog: Tab and Shift+Tab wrap; Escape closes.
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      return close();
    }
    if (event.key !== 'Tab' || !dialog.current) return;
    const focusable = [
      ...dialog.current.querySelectorAll<HTMLElement>('input, button:not([disabled])'),
    ];
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (!first || !last) return;
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };

  const message =
    outcome === 'refused'
      ? t('kiosk.staffExit.refused')
      : outcome === 'locked'
        ? t('kiosk.staffExit.locked')
        : outcome === 'allowed'
          ? t('kiosk.staffExit.allowed')
          : outcome === 'checking'
            ? t('kiosk.staffExit.checking')
            : '';

  return (
    <div class="staff-exit-backdrop">
      <div
        ref={dialog}
        class="staff-exit"
        role="dialog"
        aria-modal="true"
        aria-labelledby="staff-exit-title"
        aria-describedby="staff-exit-instructions"
        onKeyDown={onKeyDown}
      >
        <h2 id="staff-exit-title">{t('kiosk.staffExit.title')}</h2>
        <p id="staff-exit-instructions">{t('kiosk.staffExit.instructions')}</p>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void submit();
          }}
        >
          <label for="staff-exit-pin">{t('kiosk.staffExit.pinLabel')}</label>
          <input
            ref={input}
            id="staff-exit-pin"
            type="password"
            inputMode="numeric"
            autoComplete="off"
            maxLength={MAX_PIN}
            value={pin}
            readOnly={busy}
            aria-describedby="staff-exit-status"
            onInput={(e) => {
              const digits = e.currentTarget.value.replace(/[^0-9]/g, '').slice(0, MAX_PIN);
              e.currentTarget.value = digits;
              setOutcome(null);
              setPin(digits);
            }}
          />
          <p id="staff-exit-status" class="staff-exit-status" role="status" aria-live="polite">
            {message}
          </p>
          <div class="pin-keys" role="group" aria-label={t('kiosk.staffExit.keypad')}>
            {DIGITS.map((digit) => (
              <button
                key={digit}
                type="button"
                class={digit === '0' ? 'pin-key zero' : 'pin-key'}
                disabled={busy}
                onClick={() => append(digit)}
              >
                {digit}
              </button>
            ))}
            <button
              type="button"
              class="pin-key"
              aria-label={t('kiosk.staffExit.delete')}
              disabled={busy || pin === ''}
              onClick={() => {
                setPin((p) => p.slice(0, -1));
                input.current?.focus();
              }}
            >
              <span aria-hidden="true">⌫</span>
            </button>
          </div>
          <div class="row actions">
            <button type="button" class="secondary" onClick={close}>
              {t('kiosk.staffExit.cancel')}
            </button>
            <button type="submit" class="primary-action" disabled={busy || pin === ''}>
              {t('kiosk.staffExit.submit')}
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
