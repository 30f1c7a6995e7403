import { describe, expect, it } from 'vitest';
import { parseBronzeCommit } from './messages.js';

describe('bronze-committed messages', () => {
  const commit = { table: 'lab_results', partition: { ingest_date: '2026-03-01' }, unit: 'lab_results-x-00000', rows: 10 };

  it('carry a rebuild flag only when one was sent', () => {
    expect(parseBronzeCommit(commit)).toEqual(commit);
    expect(parseBronzeCommit({ ...commit, rebuild: true })).toEqual({ ...commit, rebuild: true });
  });

  it('name the field that is wrong', () => {
    expect(() => parseBronzeCommit({ ...commit, rebuild: 'yes' })).toThrow('bronze-committed message field rebuild must be true or false, got "yes"');
    expect(() => parseBronzeCommit({ ...commit, partition: { ingest_date: '2026-3-1' } })).toThrow(/field partition.ingest_date must be a date/);
  });
});
