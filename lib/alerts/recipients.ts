import { ALERT_KINDS, isAlertKind, type AlertKind } from './events.js';

/**
 * Who gets the e-mail of each alert kind, as configuration (ALERT_RECIPIENTS): kinds map to
 * recipient groups, and each group's addresses are a setting of their own. Imported by the
 * settings schema, so it depends on nothing but the event contract.
 */
export const RECIPIENT_GROUPS = ['lab_managers', 'ops_team', 'public_health'] as const;
export type RecipientGroup = (typeof RECIPIENT_GROUPS)[number];

export const DEFAULT_ALERT_RECIPIENTS =
  'calibration_drift=lab_managers,ops_team;high_risk_device=lab_managers,ops_team;data_drift=ops_team;' +
  'pipeline_failure=ops_team;outbreak_signal=public_health,lab_managers;model_performance=ops_team';

export type RecipientRoutes = Readonly<Record<AlertKind, readonly RecipientGroup[]>>;

/** `kind=group,group;...`; kinds not named get no e-mail. Undefined when malformed. */
export function parseRecipientRoutes(text: string): RecipientRoutes | undefined {
  const routes = Object.fromEntries(ALERT_KINDS.map((kind) => [kind, [] as RecipientGroup[]])) as Record<AlertKind, RecipientGroup[]>;
  for (const part of text.split(';').map((p) => p.trim()).filter(Boolean)) {
    const [kind, groups, extra] = part.split('=').map((p) => p.trim());
    if (extra !== undefined || !isAlertKind(kind) || groups === undefined) return undefined;
    for (const group of groups.split(',').map((g) => g.trim()).filter(Boolean)) {
      if (!(RECIPIENT_GROUPS as readonly string[]).includes(group)) return undefined;
      if (!routes[kind].includes(group as RecipientGroup)) routes[kind].push(group as RecipientGroup);
    }
  }
  return routes;
}

export function addressList(text: string): string[] {
  return text.split(',').map((a) => a.trim()).filter(Boolean);
}
