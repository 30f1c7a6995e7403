import { InputFileError } from '../../drift/files.js';
import { DETECT_METHODS, detect, isDetectMethod, readCountFile, type DetectRow } from '../../outbreaks/files.js';
import { UsageError } from '../args.js';
import type { Command } from '../command.js';
import { formatTable } from '../session.js';

export const detectCommand: Command = {
  name: 'detect',
  summary: 'Outbreak detection (EARS C1/C2/C3, CUSUM, Farrington flexible) on a CSV of counts',
  usage: `lims-mlops detect --input FILE.csv --method ${DETECT_METHODS.join('|')} [--alpha A] [--json]

FILE.csv has columns date,count (and optionally population), one row per day or per week in
date order; the period is read from the dates (weekly series use 52 periods a year). The
methods are the pipeline's: EARS as R surveillance's earsC (baseline 7; alpha 0.001 for C1 and
C2, 0.025 for C3), Page's CUSUM (k 0.5, h 5, 28-period moving baseline; no --alpha), Farrington
flexible as surveillance's farringtonFlexible (b = 5 years, w = 3, alpha 0.05; population as
the offset when the file has it). Threshold and alarm are null where the method has too little
history.
  --json    print a JSON array, one object {date, count, threshold, alarm} per input row`,
  options: { input: { type: 'string' }, method: { type: 'string' }, alpha: { type: 'string' }, json: { type: 'boolean' } },
  prepare(values) {
    const { input, method } = values;
    if (typeof input !== 'string') throw new UsageError('detect: --input FILE.csv is required');
    if (typeof method !== 'string' || !isDetectMethod(method)) throw new UsageError(`detect: --method must be one of ${DETECT_METHODS.join(', ')}${typeof method === 'string' ? `, got "${method}"` : ''}`);
    let alpha: number | undefined;
    if (values.alpha !== undefined) {
      if (method === 'cusum') throw new UsageError('detect: --alpha does not apply to cusum (its decision interval h is fixed at 5 SD)');
      alpha = Number(values.alpha);
      if (!(alpha > 0 && alpha < 1)) throw new UsageError(`detect: --alpha must be a number between 0 and 1, got "${String(values.alpha)}"`);
    }
    let rows: DetectRow[];
    try {
      rows = detect(readCountFile(input), method, alpha);
    } catch (error) {
      if (error instanceof InputFileError) throw new UsageError(`detect: ${error.message}`);
      throw error;
    }
    return async () => {
      if (values.json) {
        console.log(rows.length === 0 ? '[]' : `[\n${rows.map((r) => JSON.stringify(r)).join(',\n')}\n]`);
      } else {
        console.log(formatTable(['date', 'count', 'threshold', 'alarm'], rows.map((r) => [r.date, r.count, r.threshold === null ? '-' : r.threshold.toFixed(2), r.alarm === null ? '-' : r.alarm ? 'ALARM' : ''])));
        console.log(`\n${rows.filter((r) => r.alarm).length} alarms in ${rows.length} periods (${rows.filter((r) => r.threshold !== null).length} with a threshold)`);
      }
      return 0;
    };
  },
};
