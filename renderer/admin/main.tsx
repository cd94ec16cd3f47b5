/** The admin pages (UI-3): devices, API keys, webhooks, kiosks, staff users, retention. */
import { mountConsole } from '../staff/console/app.js';
import { useConsole } from '../staff/console/context.js';
import { ApiKeysScreen } from './keys.js';
import { DevicesScreen } from './devices.js';
import { KiosksScreen } from './kiosks.js';
import { RetentionScreen } from './retention.js';
import { UsersScreen } from './users.js';
import { WebhooksScreen } from './webhooks.js';

function NotFound() {
  const { t } = useConsole();
  return <h1>{t('console.notFound')}</h1>;
}

function NotAdmin() {
  const { t } = useConsole();
  return (
    <>
      <h1>{t('admin.title')}</h1>
      <p>{t('admin.notAdmin')}</p>
      <p>
        <a href="/staff">{t('staff.title')}</a>
      </p>
    </>
  );
}

mountConsole({
  page: 'admin',
  nav: [
    { route: 'devices', label: 'admin.nav.devices', scope: 'admin' },
    { route: 'keys', label: 'admin.nav.keys', scope: 'admin' },
    { route: 'webhooks', label: 'admin.nav.webhooks', scope: 'admin' },
    { route: 'kiosks', label: 'admin.nav.kiosks', scope: 'admin' },
    { route: 'users', label: 'admin.nav.users', scope: 'admin' },
    { route: 'retention', label: 'admin.nav.retention', scope: 'admin' },
  ],
  view: (route) => {
    switch (route[0]) {
      case 'devices':
        return <DevicesScreen />;
      case 'keys':
        return <ApiKeysScreen />;
      case 'webhooks':
        return <WebhooksScreen />;
      case 'kiosks':
        return <KiosksScreen />;
      case 'users':
        return <UsersScreen />;
      case 'retention':
        return <RetentionScreen />;
      case undefined:
      case '':
        return <NotAdmin />;
      default:
        return <NotFound />;
    }
  },
});
