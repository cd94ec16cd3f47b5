/**
 * Reports (PRIV-5): a two-way table of counts per report over a period, suppressed for small
 * cells (suppression.ts), as JSON or CSV. Reads only aggregates: no personal data is opened.
 */
import type { ReportDto, ReportName, ReportQuery } from '../../contract/reports.js';
import type { VaultDoors } from '../vault/index.js';
import { FIXED_COLUMNS, REPORT_DIMENSIONS, reportCounts } from './store.js';
import { suppressSmallCells } from './suppression.js';

const DAY = 86_400_000;

export class ReportService {
  constructor(
    readonly vault: VaultDoors & { readonly now: Date },
    readonly minCellSize: number,
  ) {}

  report(name: ReportName, query: ReportQuery): ReportDto {
    const from = new Date(`${query.from}T00:00:00.000Z`);
    const until = new Date(Date.parse(`${query.to}T00:00:00.000Z`) + DAY);
    const now = this.vault.now.toISOString();
    const triples = this.vault.read((db) =>
      reportCounts(
        db,
        name,
        { from: from.toISOString(), until: until.toISOString(), bucket: query.bucket ?? 'month' },
        now,
      ),
    );
    const rows = [...new Set(triples.map((t) => t.row))].sort();
    const columns = [...new Set([...(FIXED_COLUMNS[name] ?? []), ...triples.map((t) => t.column)])];
    if (FIXED_COLUMNS[name] === undefined) columns.sort();
    const counts = rows.map(() => columns.map(() => 0));
    for (const t of triples) counts[rows.indexOf(t.row)]![columns.indexOf(t.column)] = t.count;
    const table = suppressSmallCells(counts, this.minCellSize);
    return {
      report: name,
      from: query.from,
      to: query.to,
      generatedAt: now,
      threshold: this.minCellSize,
      rowDimension: REPORT_DIMENSIONS[name].rows,
      columnDimension: REPORT_DIMENSIONS[name].columns,
      rows,
      columns,
      ...table,
    };
  }
}

/** CSV (RFC 4180): a header of the columns and `total`, one line per row, then the totals; suppressed counts are empty. */
export function reportCsv(report: ReportDto): string {
  const field = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  const count = (v: number | null) => (v === null ? '' : String(v));
  const lines = [
    [report.rowDimension, ...report.columns, 'total'].map(field).join(','),
    ...report.rows.map((row, i) =>
      [field(row), ...report.cells[i]!.map(count), count(report.rowTotals[i] ?? null)].join(','),
    ),
    ['total', ...report.columnTotals.map(count), count(report.total)].join(','),
  ];
  return `${lines.join('\r\n')}\r\n`;
}
