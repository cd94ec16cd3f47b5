/** Retention: what a run would destroy now (the core's dry run), per rule and category. */
import { useConsole } from '../staff/console/context.js';
import { Loaded, useLoad } from '../staff/console/ui.js';
import { retentionPreview } from './api.js';

export function RetentionScreen() {
  const { t, api, i18n } = useConsole();
  const [load, reload] = useLoad((signal) => retentionPreview(api, signal), [], {
    notFoundIsUnavailable: true,
  });
  return (
    <>
      <h1>{t('admin.retention.title')}</h1>
      <p>{t('admin.retention.lead')}</p>
      <button type="button" class="secondary" onClick={reload}>
        {t('admin.retention.refresh')}
      </button>
      <Loaded load={load}>
        {(preview) => (
          <>
            <p role="status">
              {t('admin.retention.total', {
                count: preview.total,
                formatted: i18n.formatNumber(preview.total),
                asOf: i18n.formatDate(preview.asOf),
              })}
            </p>
            {preview.heldSubjects > 0 && (
              <p class="notice">{t('admin.retention.held', { count: preview.heldSubjects })}</p>
            )}
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('admin.retention.rule')}</th>
                  <th scope="col">{t('admin.retention.category')}</th>
                  <th scope="col">{t('admin.retention.cutoff')}</th>
                  <th scope="col">{t('admin.retention.count')}</th>
                </tr>
              </thead>
              <tbody>
                {preview.items.map((item) => (
                  <tr key={`${item.ruleId}:${item.category}`}>
                    <td>
                      <code>{item.ruleId}</code>
                    </td>
                    <td>
                      <code>{item.category}</code>
                    </td>
                    <td>
                      <time dateTime={item.cutoff}>{i18n.formatDate(item.cutoff)}</time>
                    </td>
                    <td>{i18n.formatNumber(item.count)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </Loaded>
    </>
  );
}
