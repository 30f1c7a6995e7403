// Development environment. The pipeline (infra/azure-pipelines.yml) deploys it with
// infra/scripts/deploy-infra.sh; values read with readEnvironmentVariable come from the
// pipeline's variable group lims-mlops-dev (docs/deploy.md).
using './main.bicep'

param environmentName = 'dev'
param queueProvider = 'storage'
param queueMaxAttempts = 5
param instanceMemoryMB = 2048
// No warm instance in dev (saves ~$21/month); prod keeps one for the latency target.
param alwaysReadyHttpInstances = 0
param maximumInstanceCount = 40
param trainingCron = '0 3 * * 1'
param trainingReplicaTimeoutSeconds = 7200
param trainingCpu = '2.0'
param trainingMemory = '4Gi'
param trainingImage = readEnvironmentVariable('TRAINING_IMAGE', '')
param alertEmail = readEnvironmentVariable('ALERT_EMAIL', '')
param latencyThresholdMs = 200
param keyVaultPurgeProtection = false
param logRetentionDays = 30
param storageSku = 'Standard_LRS'
param communicationDataLocation = 'Europe'

// Object ids of the data engineers (az ad signed-in-user show --query id -o tsv) who seed and
// inspect the lake with the lims-mlops CLI.
param operatorPrincipalIds = []

// Secret settings, written to Key Vault when the pipeline provides them (secret variables).
param secretValues = {
  PII_HASH_KEY: readEnvironmentVariable('PII_HASH_KEY', '')
  LIMS_SQL_PASSWORD: readEnvironmentVariable('LIMS_SQL_PASSWORD', '')
  ADMIN_API_KEY: readEnvironmentVariable('ADMIN_API_KEY', '')
  SLACK_WEBHOOK_URL: readEnvironmentVariable('SLACK_WEBHOOK_URL', '')
  PAGERDUTY_ROUTING_KEY: readEnvironmentVariable('PAGERDUTY_ROUTING_KEY', '')
}
param externallyManagedSecrets = []

// dev has no LIMS of its own: the lake is seeded from a workstation with the built-in simulator
// (docs/deploy.md, "First prediction"), so the ingestion timer is parked on a once-a-year
// schedule. Point dev at a test LIMS with LIMS_SOURCE 'mssql' and drop the INGEST_SCHEDULE line.
param settingOverrides = {
  LIMS_SOURCE: 'simulator'
  INGEST_SCHEDULE: '0 0 0 1 1 *'
  LOG_LEVEL: 'debug'
}
