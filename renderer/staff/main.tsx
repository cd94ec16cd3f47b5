/** The staff console (UI-2): review queue, cases, search, privacy desk, audit, reports. */
import { AuditScreen } from './audit.js';
import { CaseScreen } from './case.js';
import { mountConsole } from './console/app.js';
import { useConsole } from './console/context.js';
import { PinScreen } from './pin.js';
import { PrivacyScreen } from './privacy/screen.js';
import { QueueScreen } from './queue.js';
import { ReportsScreen } from './reports/screen.js';
import { SearchScreen } from './search.js';

function NotFound() {
  const { t } = useConsole();
  return (
    <>
      <h1>{t('console.notFound')}</h1>
      <p>
        <a href="#/queue">{t('staff.queue.title')}</a>
      </p>
    </>
  );
}

mountConsole({
  page: 'staff',
  nav: [
    { route: 'queue', label: 'staff.nav.queue', scope: 'verifications:read' },
    { route: 'search', label: 'staff.nav.search', scope: 'verifications:read' },
    { route: 'privacy', label: 'staff.nav.privacy', scope: 'privacy:read' },
    { route: 'audit', label: 'staff.nav.audit', scope: 'audit:read' },
    { route: 'reports', label: 'staff.nav.reports', scope: 'reports:read' },
    { route: 'pin', label: 'staff.nav.pin' },
  ],
  view: (route) => {
    switch (route[0]) {
      case 'queue':
        return <QueueScreen />;
      case 'case':
        return route[1] ? <CaseScreen id={route[1]} /> : <QueueScreen />;
      case 'search':
        return <SearchScreen />;
      case 'privacy':
        return <PrivacyScreen />;
      case 'audit':
        return <AuditScreen />;
      case 'reports':
        return <ReportsScreen />;
      case 'pin':
        return <PinScreen />;
      default:
        return <NotFound />;
    }
  },
});
