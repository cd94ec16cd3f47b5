/**
 * Reports: one chart per report (bars of the row totals, drawn in SVG: no chart library, no
 * inline style, so it runs under the page's CSP) with the table behind it, for a period.
 */
import { useState } from 'preact/hooks';
import { useConsole } from '../console/context.js';
import { Loaded, useLoad } from '../console/ui.js';
import { REPORTS, getReport, type Report, type ReportName } from './api.js';

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function ReportsScreen() {
  const { t, api } = useConsole();
  const today = new Date();
  const [from, setFrom] = useState(isoDay(new Date(today.getTime() - 30 * 86_400_000)));
  const [to, setTo] = useState(isoDay(today));
  const [report, setReport] = useState<ReportName>('outcomes');
  const [load] = useLoad((signal) => getReport(api, report, from, to, signal), [report, from, to], {
    notFoundIsUnavailable: true,
  });
  return (
    <>
      <h1>{t('staff.reports.title')}</h1>
      <form class="row" onSubmit={(e) => e.preventDefault()}>
        <label class="field">
          <span>{t('staff.reports.report')}</span>
          <select
            name="report"
            value={report}
            onChange={(e) => setReport(e.currentTarget.value as ReportName)}
          >
            {REPORTS.map((name) => (
              <option key={name} value={name}>
                {t(`staff.reports.names.${name}`)}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>{t('staff.reports.from')}</span>
          <input
            type="date"
            name="from"
            value={from}
            onChange={(e) => setFrom(e.currentTarget.value)}
          />
        </label>
        <label class="field">
          <span>{t('staff.reports.to')}</span>
          <input type="date" name="to" value={to} onChange={(e) => setTo(e.currentTarget.value)} />
        </label>
      </form>
      <Loaded load={load}>{(value) => <ReportView report={value} />}</Loaded>
    </>
  );
}

function ReportView({ report }: { report: Report }) {
  const { t, i18n } = useConsole();
  const values = report.rowTotals.map((v) => v ?? 0);
  const max = Math.max(1, ...values);
  const barHeight = 24;
  const height = report.rows.length * (barHeight + 8) + 8;
  const fmt = (v: number | null) =>
    v === null ? t('staff.reports.suppressed') : i18n.formatNumber(v);
  return (
    <>
      <figure>
        <svg
          role="img"
          aria-labelledby="report-chart-title"
          viewBox={`0 0 600 ${height}`}
          width="100%"
        >
          <title id="report-chart-title">
            {t('staff.reports.chartTitle', { name: t(`staff.reports.names.${report.report}`) })}
          </title>
          {report.rows.map((row, i) => {
            const value = values[i] ?? 0;
            const y = 8 + i * (barHeight + 8);
            return (
              <g key={row}>
                <text x="4" y={y + 17} font-size="14" fill="#16181d">
                  {row}
                </text>
                <rect
                  x="200"
                  y={y}
                  width={Math.round((380 * value) / max)}
                  height={barHeight}
                  fill="#0b57d0"
                />
              </g>
            );
          })}
        </svg>
        <figcaption class="muted">
          {t('staff.reports.threshold', { threshold: report.threshold, count: report.suppressed })}
        </figcaption>
      </figure>
      <table>
        <caption>{t('staff.reports.table')}</caption>
        <thead>
          <tr>
            <th scope="col">{report.rowDimension}</th>
            {report.columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
            <th scope="col">{t('staff.reports.total')}</th>
          </tr>
        </thead>
        <tbody>
          {report.rows.map((row, i) => (
            <tr key={row}>
              <th scope="row">{row}</th>
              {report.columns.map((c, j) => (
                <td key={c}>{fmt(report.cells[i]?.[j] ?? null)}</td>
              ))}
              <td>{fmt(report.rowTotals[i] ?? null)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">{t('staff.reports.total')}</th>
            {report.columnTotals.map((v, j) => (
              <td key={j}>{fmt(v)}</td>
            ))}
            <td>{fmt(report.total)}</td>
          </tr>
        </tfoot>
      </table>
    </>
  );
}
