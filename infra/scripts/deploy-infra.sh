#!/usr/bin/env bash
# Deploys bicep/main.bicep with bicep/main.<env>.bicepparam into a resource group (created when
# absent), or shows what it would change. Run by infra/azure-pipelines.yml inside AzureCLI@2
# (signed in with the environment's service connection); works the same from a shell after `az login`.
#
# Usage: infra/scripts/deploy-infra.sh ENV RESOURCE_GROUP LOCATION [deploy|what-if]
#
# Values the parameter file reads with readEnvironmentVariable come from the environment:
#   secrets   PII_HASH_KEY LIMS_SQL_PASSWORD ADMIN_API_KEY SLACK_WEBHOOK_URL PAGERDUTY_ROUTING_KEY
#   others    ALERT_EMAIL, LIMS_SQL_SERVER, LIMS_SQL_DATABASE, ... (see the .bicepparam file)
# TRAINING_IMAGE is set here to the image the training job already runs, so that a deployment
# never rolls the job back to the placeholder image.
# In deploy mode the template's outputs become pipeline variables of this step (isOutput=true):
# functionAppName, apiUrl, registryName, registryLoginServer, trainingJobName, keyVaultName, ...
set -euo pipefail

env_name="${1:?usage: deploy-infra.sh ENV RESOURCE_GROUP LOCATION [deploy|what-if]}"
resource_group="${2:?resource group}"
location="${3:?location}"
mode="${4:-deploy}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
template="$root/bicep/main.bicep"
parameters="$root/bicep/main.${env_name}.bicepparam"
[ -f "$parameters" ] || { echo "deploy-infra: no parameter file $parameters" >&2; exit 2; }

# Azure Pipelines leaves $(NAME) verbatim when a variable is not defined: never deploy that text
# (it would become a secret's value). Such variables are treated as not set.
for name in $(compgen -e); do
  if [[ "${!name}" =~ ^\$\([A-Za-z0-9_.]+\)$ ]]; then unset "$name"; fi
done

az config set extension.use_dynamic_install=yes_without_prompt --only-show-errors >/dev/null
az group create --name "$resource_group" --location "$location" --tags application=lims-mlops "environment=$env_name" --only-show-errors -o none

job_id="$(az resource list --resource-group "$resource_group" --resource-type Microsoft.App/jobs --query "[?tags.component=='training'].id | [0]" -o tsv 2>/dev/null || true)"
if [ -n "$job_id" ]; then
  TRAINING_IMAGE="$(az resource show --ids "$job_id" --query 'properties.template.containers[0].image' -o tsv)"
  case "$TRAINING_IMAGE" in mcr.microsoft.com/k8se/*) TRAINING_IMAGE='' ;; esac
  export TRAINING_IMAGE
fi

# Fail early, with the key named, on a configuration the Function App would refuse at start.
az bicep build-params --file "$parameters" --stdout > "$root/.deploy-parameters.json"
trap 'rm -f "$root/.deploy-parameters.json"' EXIT
node - "$root/.deploy-parameters.json" <<'JS'
const { readFileSync } = require('node:fs');
const doc = JSON.parse(readFileSync(process.argv[2], 'utf8'));
// `bicep build-params --stdout` wraps the parameters file as { parametersJson, templateJson }.
const parameters = (typeof doc.parametersJson === 'string' ? JSON.parse(doc.parametersJson) : doc).parameters ?? {};
const overrides = parameters.settingOverrides?.value ?? {};
const secrets = parameters.secretValues?.value ?? {};
const problems = [];
if (overrides.LIMS_SOURCE === 'mssql') {
  for (const key of ['LIMS_SQL_SERVER', 'LIMS_SQL_DATABASE']) if (!overrides[key]) problems.push(`${key} is required with LIMS_SOURCE=mssql: set it in the variable group`);
  if (overrides.LIMS_SQL_AUTH === 'sql' && !overrides.LIMS_SQL_USER) problems.push('LIMS_SQL_USER is required with LIMS_SQL_AUTH=sql');
}
const external = parameters.externallyManagedSecrets?.value ?? [];
if (!secrets.PII_HASH_KEY && !external.includes('PII_HASH_KEY')) problems.push('PII_HASH_KEY is not set: add it to the variable group as a secret (openssl rand -hex 32), or list it in externallyManagedSecrets');
else if (secrets.PII_HASH_KEY && secrets.PII_HASH_KEY.trim().length < 32) problems.push('PII_HASH_KEY must be at least 32 characters');
if (problems.length > 0) {
  for (const p of problems) console.error(`deploy-infra: ${p}`);
  process.exit(2);
}
JS

deployment="lims-mlops-${env_name}-$(date -u +%Y%m%d%H%M%S)"
if [ "$mode" = "what-if" ]; then
  az deployment group what-if --resource-group "$resource_group" --name "$deployment" \
    --template-file "$template" --parameters "$parameters" --only-show-errors
  exit 0
fi

az deployment group create --resource-group "$resource_group" --name "$deployment" \
  --template-file "$template" --parameters "$parameters" --only-show-errors -o none

for output in apiUrl functionAppName lakeStorageAccountName registryName registryLoginServer trainingJobName keyVaultName identityName appInsightsName; do
  value="$(az deployment group show --resource-group "$resource_group" --name "$deployment" --query "properties.outputs.${output}.value" -o tsv)"
  echo "$output=$value"
  echo "##vso[task.setvariable variable=${output};isOutput=true]${value}"
done
