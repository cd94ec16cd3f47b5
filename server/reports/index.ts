// Aggregated, anonymised reports (PRIV-5) with small-cell suppression.
export { ReportService, reportCsv } from './service.js';
export { suppressSmallCells, type SuppressedTable } from './suppression.js';
