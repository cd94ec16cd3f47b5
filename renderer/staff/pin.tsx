/**
 * The staff member's own PIN (PUT /api/v1/auth/pin): 6-12 digits that open the kiosk shell's
 * exit when the core checks them for a kiosk. Set behind the current password; the core refuses
 * a PIN that is one digit repeated or a run, and says which rule refused it.
 */
import { useState } from 'preact/hooks';
import { useConsole } from './console/context.js';
import { PasswordField } from './console/parts.js';
import { Feedback, useAction } from './console/ui.js';

export function PinScreen() {
  const { t, api } = useConsole();
  const [password, setPassword] = useState('');
  const [pin, setPin] = useState('');
  const [repeat, setRepeat] = useState('');
  const action = useAction();
  const submit = async (event: Event) => {
    event.preventDefault();
    if (pin !== repeat) {
      action.setMessage({ kind: 'error', message: { key: 'staff.pin.mismatch' } });
      return;
    }
    const done = await action.run(async () => {
      await api.request<void>('PUT', '/api/v1/auth/pin', {
        json: { currentPassword: password, pin },
      });
      return true;
    }, 'staff.pin.saved');
    if (done === true) {
      setPassword('');
      setPin('');
      setRepeat('');
    }
  };
  const pinField = (name: string, label: string, value: string, onValue: (v: string) => void) => (
    <PasswordField
      label={label}
      name={name}
      numeric
      autocomplete="off"
      pattern="[0-9]{6,12}"
      minLength={6}
      maxLength={12}
      describedBy="pin-hint"
      value={value}
      onValue={onValue}
    />
  );
  return (
    <>
      <h1>{t('staff.pin.title')}</h1>
      <p id="pin-hint">{t('staff.pin.intro')}</p>
      <form class="stack" onSubmit={(e) => void submit(e)}>
        <PasswordField
          label={t('console.password.current')}
          name="currentPassword"
          autocomplete="current-password"
          value={password}
          onValue={setPassword}
        />
        {pinField('pin', t('staff.pin.pin'), pin, setPin)}
        {pinField('repeatPin', t('staff.pin.repeat'), repeat, setRepeat)}
        <div class="row">
          <button type="submit" disabled={action.busy}>
            {t('staff.pin.submit')}
          </button>
        </div>
      </form>
      <Feedback message={action.message} />
    </>
  );
}
