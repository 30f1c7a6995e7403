/**
 * `GET /api/devices/{id}/risk`: the device's latest batch prediction and its recent history,
 * read from the committed `predictions/device_risk/score_date=YYYY-MM-DD/shard=NN` partitions
 * that daily batch scoring writes.
 */
import type { AppContext } from '../app/context.js';
import { HttpError, json, type ApiRequest, type ApiResponse } from '../app/http.js';
import { tablePath } from '../lake/lake.js';
import { shardLabel, shardOf } from '../pipeline/goldTables.js';
import { DEVICE_RISK, parseTopFactors } from '../scoring/batch.js';
import type { Row } from '../sources/schema.js';
import { DEFAULT_HISTORY_DAYS, MAX_HISTORY_DAYS, deviceId, type Factor, type deviceRisk } from './contract.js';
import { number, validate, type Infer } from './schema.js';

const COLUMNS = DEVICE_RISK.columns.map((c) => c.name);

const daysParam = number({ minimum: 1, maximum: MAX_HISTORY_DAYS, integer: true });

/** Names of the child "folders" (`key=value`) under a prefix, without listing the files in them. */
async function childValues(ctx: AppContext, prefix: string, key: string): Promise<string[]> {
  const values: string[] = [];
  for await (const item of ctx.lake.container.listBlobsByHierarchy('/', { prefix })) {
    if (item.kind !== 'prefix') continue;
    const segment = item.name.slice(prefix.length).replace(/\/$/, '');
    if (segment.startsWith(`${key}=`)) values.push(segment.slice(key.length + 1));
  }
  return values;
}

/** The device's row on one score date: its own shard first, then the others (shard counts can change). */
async function rowOn(ctx: AppContext, scoreDate: string, device: string): Promise<Row | undefined> {
  const shards = await childValues(ctx, `${tablePath(DEVICE_RISK)}/score_date=${scoreDate}/`, 'shard');
  const own = shardLabel(shardOf(device, ctx.config.GOLD_SHARDS));
  const ordered = shards.includes(own) ? [own, ...shards.filter((s) => s !== own)] : shards;
  for (const shard of ordered) {
    const rows = await ctx.lake.readRows(DEVICE_RISK, { score_date: scoreDate, shard }, COLUMNS);
    const row = rows.find((r) => r.device_id === device);
    if (row) return row;
  }
  return undefined;
}


const num = (value: unknown): number => (typeof value === 'bigint' ? Number(value) : (value as number));

export async function deviceRiskRoute(request: ApiRequest, ctx: AppContext): Promise<ApiResponse> {
  const id = validate(deviceId, request.params.id);
  if (!id.ok) throw new HttpError(400, `Device id in the path ${id.issues[0]?.message ?? 'is invalid'}.`);
  const daysText = request.url.searchParams.get('days');
  let days = DEFAULT_HISTORY_DAYS;
  if (daysText !== null) {
    const parsed = validate(daysParam, daysText.trim() === '' ? Number.NaN : Number(daysText));
    if (!parsed.ok) throw new HttpError(400, `Query parameter days must be an integer from 1 to ${MAX_HISTORY_DAYS}, got ${JSON.stringify(daysText)}.`);
    days = parsed.value;
  }
  const device = id.value;
  const dates = (await childValues(ctx, `${tablePath(DEVICE_RISK)}/`, 'score_date')).filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d)).sort().reverse();
  if (dates.length === 0) {
    throw new HttpError(404, 'No batch predictions yet: daily batch scoring (the scoring timer, or `lims-mlops run`) writes predictions/device_risk once a model is promoted.');
  }
  const recent = dates.slice(0, days);
  const rows = await Promise.all(recent.map(async (date) => ({ date, row: await rowOn(ctx, date, device) })));
  const found = rows.filter((r): r is { date: string; row: Row } => r.row !== undefined);
  const latest = found[0];
  if (!latest) {
    throw new HttpError(404, `Device ${device} has no batch prediction in the last ${recent.length} score dates (${recent[recent.length - 1]} to ${recent[0]}); check the id, or whether it reports features.`);
  }
  const day = ({ date, row }: { date: string; row: Row }): Infer<typeof deviceRisk>['history'][number] => ({
    score_date: date,
    probability: num(row.probability),
    risk_score: num(row.risk_score),
    risk_level: row.risk_level as Infer<typeof deviceRisk>['latest']['risk_level'],
    model_version: String(row.model_version),
  });
  const body: Infer<typeof deviceRisk> = {
    device_id: device,
    latest: { ...day(latest), top_factors: parseTopFactors(latest.row.top_factors) as Factor[] },
    history: found.map(day),
  };
  return json(200, body);
}
