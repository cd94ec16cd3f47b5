import { describe, expect, it } from 'vitest';
import {
  SVC2004_DEVICE,
  SignatureFormatError,
  formatJsonSignature,
  formatSvcSignature,
  parseJsonSignature,
  parseSignature,
  parseSvcSignature,
  signatureToJson,
} from '../../../../server/biometrics/signature/index.js';
import { LOOPS, syntheticSignature } from './synthetic.js';

const TASK2 = `4
2933 5678 31275775 0 1550 710 439
2933 5678 31275785 1 1480 770 420
3001 5851 31275795 1 1350 830 433
3114 6139 31275845 0 1350 800 422
`;

const TASK1 = '3\r\n635 5541 31077710 0\r\n618 5431 31077720 1\r\n600 5443 31077730 1\r\n';

function formatError(run: () => unknown): SignatureFormatError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SignatureFormatError);
    return error as SignatureFormatError;
  }
  throw new Error('expected a SignatureFormatError');
}

describe('parseSvcSignature', () => {
  it('reads Task 2 rows: pressure, angles, button 0 as stroke start', () => {
    const signature = parseSvcSignature(TASK2);
    expect(signature.device).toEqual(SVC2004_DEVICE);
    expect(signature.samples).toHaveLength(4);
    expect(signature.samples[0]).toEqual({
      x: 2933,
      y: 5678,
      t: 31275775,
      pressure: 439,
      penDown: true,
      strokeStart: true,
      azimuth: 1550,
      altitude: 710,
    });
    expect(signature.samples.map((s) => s.strokeStart)).toEqual([true, false, false, true]);
  });

  it('reads Task 1 rows (CRLF) with no pressure sensor', () => {
    const signature = parseSvcSignature(TASK1);
    expect(signature.device.pressureMax).toBe(0);
    expect(signature.samples.map((s) => [s.x, s.pressure, s.strokeStart])).toEqual([
      [635, 0, true],
      [618, 0, false],
      [600, 0, false],
    ]);
  });

  it.each([
    ['', 1, /empty/],
    ['\n\n', 1, /empty/],
    ['abc\n1 2 3 0\n', 1, /number of points/],
    ['0\n', 1, /at least 1/],
    ['999999999\n', 1, /too large/],
    ['3\n1 2 3 0\n1 2 3 1\n', 4, /expected 3 points, found 2/],
    ['1\n1 2 3 0\n1 2 3 1\n', 3, /found more/],
    ['2\n1 2 3 0\n1 2 x 1\n', 3, /timestamp is not a number/],
    ['1\n1 2 3\n', 2, /4 or 7 columns/],
    ['2\n1 2 3 0\n1 2 3 1 5 5 5\n', 3, /expected 4 columns/],
    ['1\n1e300 2 3 0\n', 2, /x is out of range/],
    ['1\n1 2 NaN 0\n', 2, /not a number/],
    ['1\n1 2 3 0 1 1 -5\n', 2, /pressure is negative/],
    ['2\n1 2 3 0\n\n', 3, /expected 2 points, found 1/],
  ])('rejects %j at line %i', (text, line, message) => {
    const error = formatError(() => parseSvcSignature(text));
    expect(error.line).toBe(line);
    expect(error.message).toMatch(message);
    expect(error.name).toBe('SignatureFormatError');
  });

  it('round-trips through formatSvcSignature', () => {
    expect(formatSvcSignature(parseSvcSignature(TASK2))).toBe(TASK2);
    expect(parseSvcSignature(formatSvcSignature(parseSvcSignature(TASK1)))).toEqual(
      parseSvcSignature(TASK1),
    );
  });
});

describe('JSON', () => {
  it('round-trips a signature', () => {
    const signature = syntheticSignature(LOOPS, { seed: 1 });
    const text = formatJsonSignature(signature);
    expect(JSON.parse(text)).toMatchObject({ format: 'verikiosk.signature', version: 1 });
    expect(parseJsonSignature(text)).toEqual(signature);
    expect(parseSignature(text)).toEqual(signature);
  });

  it('keeps hover samples and dpi resolution', () => {
    const signature = {
      device: {
        resolution: { value: 2540, unit: 'dpi' as const },
        samplingRateHz: 200,
        pressureMax: 255,
      },
      samples: [
        { x: 1, y: 2, pressure: 0, t: 0, penDown: false, strokeStart: false },
        { x: 1, y: 2, pressure: 9, t: 5, penDown: true, strokeStart: true },
      ],
    };
    expect(parseJsonSignature(JSON.stringify(signatureToJson(signature)))).toEqual(signature);
  });

  it.each([
    ['not json', /not valid JSON/],
    ['[]', /must be an object/],
    ['{"format":"other","version":1}', /format must be/],
    ['{"format":"verikiosk.signature","version":2}', /version must be 1/],
    ['{"format":"verikiosk.signature","version":1,"device":null}', /device must be an object/],
  ])('rejects %j', (text, message) => {
    const error = formatError(() => parseJsonSignature(text));
    expect(error.line).toBeNull();
    expect(error.message).toMatch(message);
  });

  it('names the offending field without echoing its value', () => {
    const json = signatureToJson(syntheticSignature(LOOPS, { seed: 2 }));
    const bad = {
      ...json,
      samples: json.samples.map((s, i) => (i === 7 ? { ...s, y: 'SECRET' } : s)),
    };
    const error = formatError(() => parseJsonSignature(JSON.stringify(bad)));
    expect(error.message).toBe('samples[7].y must be a finite number');
    const empty = { ...json, samples: [] };
    expect(formatError(() => parseJsonSignature(JSON.stringify(empty))).message).toMatch(/empty/);
    const unit = { ...json, device: { ...json.device, resolution: { value: 1, unit: 'cm' } } };
    expect(formatError(() => parseJsonSignature(JSON.stringify(unit))).message).toMatch(/unit/);
  });
});
