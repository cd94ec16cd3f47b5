/** The console's routes live in the URL's hash (`#/case/case_…`): segments, decoded. */
export function parseHash(hash: string): string[] {
  return hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

export function hashOf(...segments: string[]): string {
  return `#/${segments.map(encodeURIComponent).join('/')}`;
}
