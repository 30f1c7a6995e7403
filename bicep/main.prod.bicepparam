// Production environment, deployed after dev once the prod environment's approval is given
// (infra/azure-pipelines.yml). Values read with readEnvironmentVariable come from the pipeline's
// variable group lims-mlops-prod (docs/deploy.md).
using './main.bicep'

param environmentName = 'prod'
param queueProvider = readEnvironmentVariable('QUEUE_PROVIDER', 'storage')
param queueMaxAttempts = 5
param instanceMemoryMB = 2048
param alwaysReadyHttpInstances = 1
param maximumInstanceCount = 100
param trainingCron = readEnvironmentVariable('TRAINING_CRON', '0 3 * * 1')
param trainingReplicaTimeoutSeconds = 7200
param trainingCpu = '2.0'
param trainingMemory = '4Gi'
param trainingImage = readEnvironmentVariable('TRAINING_IMAGE', '')
param alertEmail = readEnvironmentVariable('ALERT_EMAIL', '')
param latencyThresholdMs = 200
param keyVaultPurgeProtection = true
param logRetentionDays = 90
param storageSku = 'Standard_ZRS'
param communicationDataLocation = 'Europe'

param operatorPrincipalIds = []

param secretValues = {
  PII_HASH_KEY: readEnvironmentVariable('PII_HASH_KEY', '')
  LIMS_SQL_PASSWORD: readEnvironmentVariable('LIMS_SQL_PASSWORD', '')
  ADMIN_API_KEY: readEnvironmentVariable('ADMIN_API_KEY', '')
  SLACK_WEBHOOK_URL: readEnvironmentVariable('SLACK_WEBHOOK_URL', '')
  PAGERDUTY_ROUTING_KEY: readEnvironmentVariable('PAGERDUTY_ROUTING_KEY', '')
}
param externallyManagedSecrets = []

// The laboratory's LIMS database (docs/sql-server.md). With LIMS_SQL_AUTH 'entra' the Function
// App signs in as the managed identity (output identityName): create that user in the database.
param settingOverrides = {
  LIMS_SOURCE: 'mssql'
  LIMS_SQL_SERVER: readEnvironmentVariable('LIMS_SQL_SERVER', '')
  LIMS_SQL_DATABASE: readEnvironmentVariable('LIMS_SQL_DATABASE', '')
  LIMS_SQL_AUTH: readEnvironmentVariable('LIMS_SQL_AUTH', 'entra')
  LIMS_SQL_USER: readEnvironmentVariable('LIMS_SQL_USER', '')
  LOG_LEVEL: 'info'
}
