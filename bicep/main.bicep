// lims-mlops: every Azure resource the product uses, in one resource group per environment.
// docs/deploy.md walks through a deployment. test/infra.consistency.test.ts keeps the names in
// this file in step with the code (lib/platform/resources.ts, lib/app/catalog.ts,
// lib/config/settings.ts) and fails when the code names something this template does not create.
targetScope = 'resourceGroup'

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

@description('Environment name: part of every resource name and tag.')
@allowed([
  'dev'
  'test'
  'prod'
])
param environmentName string

@description('Product name used in resource names (letters, digits and dashes).')
@minLength(3)
@maxLength(16)
param baseName string = 'lims-mlops'

@description('Region of every regional resource (one that offers Flex Consumption and Container Apps).')
param location string = resourceGroup().location

@description('Work queues on Storage queues (default) or Service Bus queues: the QUEUE_PROVIDER setting.')
@allowed([
  'storage'
  'servicebus'
])
param queueProvider string = 'storage'

@description('Deliveries of a work message before it is parked: QUEUE_MAX_ATTEMPTS, the Service Bus queues\' maxDeliveryCount and the Functions host\'s queues maxDequeueCount (host.json).')
@minValue(1)
@maxValue(100)
param queueMaxAttempts int = 5

@description('Memory of each Function App instance (MB).')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Instances kept warm for the HTTP functions (the Flex Consumption `http` group), so that predictions do not wait for a cold start. 0 turns always-ready off.')
@minValue(0)
@maxValue(20)
param alwaysReadyHttpInstances int = 1

@description('Most instances the Function App scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Concurrent HTTP requests one instance handles.')
@minValue(1)
@maxValue(1000)
param httpPerInstanceConcurrency int = 16

@description('When the training job runs: five-field cron, UTC. Default: Mondays 03:00.')
param trainingCron string = '0 3 * * 1'

@description('Longest a training run may take (seconds) before Container Apps stops it.')
@minValue(60)
param trainingReplicaTimeoutSeconds int = 7200

@description('Retries of a failed training run.')
@minValue(0)
@maxValue(10)
param trainingReplicaRetryLimit int = 1

@description('vCPUs of the training container (with trainingMemory, a combination Container Apps accepts, e.g. 2.0 and 4Gi).')
param trainingCpu string = '2.0'

@description('Memory of the training container.')
param trainingMemory string = '4Gi'

@description('Training image (<registry>/<repository>:<tag>). Empty: a public placeholder until the pipeline pushes the first image; infra/scripts/deploy-infra.sh passes the image the job already runs.')
param trainingImage string = ''

@description('E-mail address that receives Azure Monitor alerts (API latency, function failures). Empty: alerts are recorded but nobody is mailed.')
param alertEmail string = ''

@description('p95 latency of the prediction routes above which an alert fires (ms).')
@minValue(1)
param latencyThresholdMs int = 200

@description('Failed function invocations in 15 minutes above which an alert fires.')
@minValue(0)
param failureThreshold int = 0

@secure()
@description('Values of secret settings to store in Key Vault, by setting name (e.g. PII_HASH_KEY). Empty values are skipped.')
param secretValues object = {}

@description('Secret settings whose Key Vault secret is set by hand (`az keyvault secret set`): referenced, never written.')
param externallyManagedSecrets array = []

@description('Per-environment values of non-secret settings, by setting name (e.g. LIMS_SOURCE).')
param settingOverrides object = {}

@description('Object ids of the people or groups (data engineers) who run the lims-mlops CLI against this environment: they get data access to the lake and read access to the secrets.')
param operatorPrincipalIds array = []

@description('Where Communication Services keeps e-mail data at rest.')
param communicationDataLocation string = 'Europe'

@description('Redundancy of the storage accounts.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSku string = 'Standard_LRS'

@description('Days Log Analytics keeps logs and telemetry.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

@description('Key Vault purge protection (recommended for prod; once on it cannot be turned off).')
param keyVaultPurgeProtection bool = true

@description('Tags added to every resource.')
param tags object = {}

// ---------------------------------------------------------------------------------------------
// What the code names (kept in step by test/infra.consistency.test.ts)
// ---------------------------------------------------------------------------------------------

// lib/platform/resources.ts CONTAINERS
var lakeContainers = [
  'lake'
  'models'
  'reports'
]

// lib/platform/resources.ts TABLES
var lakeTables = [
  'watermarks'
  'runs'
  'parkedmessages'
  'dqreports'
  'modelaliases'
  'modelaudit'
  'alerts'
  'outbreaksignals'
  'modelperformance'
  'alertstate'
  'alertdeliveries'
]

// lib/platform/resources.ts QUEUES: the queue triggers of lib/app/catalog.ts
var workQueues = [
  'bronze-committed'
  'gold-day'
  'gold-features'
  'score-devices'
  'alert-dispatch'
  'alert-deliveries'
]

// lib/platform/resources.ts poisonQueueName(): where the Functions host parks a storage-queue message
var poisonQueueSuffix = '-poison'
var storageQueues = flatten(map(workQueues, q => [
  q
  '${q}${poisonQueueSuffix}'
]))

// lib/platform/resources.ts TOPICS: alert events are published to the `alerts` topic
var serviceBusTopics = [
  'alerts'
]

// Subscriptions of every topic; `forwardTo` names the Service Bus queue a subscription
// auto-forwards to (created on Service Bus whatever QUEUE_PROVIDER is), '' for none.
var topicSubscriptions = [
  {
    name: 'dispatcher'
    forwardTo: 'alert-dispatch'
  }
]
var forwardQueues = filter(map(topicSubscriptions, s => s.forwardTo), q => !empty(q))

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

var token = take(uniqueString(subscription().id, resourceGroup().id, environmentName), 8)
var compactName = take(toLower(replace(baseName, '-', '')), 8)
var names = {
  identity: 'id-${baseName}-${environmentName}'
  logAnalytics: 'log-${baseName}-${environmentName}'
  appInsights: 'appi-${baseName}-${environmentName}'
  lakeStorage: 'st${compactName}lake${token}'
  hostStorage: 'st${compactName}fn${token}'
  keyVault: 'kv-${compactName}-${token}'
  serviceBus: 'sb-${baseName}-${environmentName}-${token}'
  registry: 'cr${compactName}${environmentName}${token}'
  emailService: 'ecs-${baseName}-${environmentName}-${token}'
  communication: 'acs-${baseName}-${environmentName}-${token}'
  plan: 'plan-${baseName}-${environmentName}'
  functionApp: 'func-${baseName}-${environmentName}-${token}'
  containerEnvironment: 'cae-${baseName}-${environmentName}'
  trainingJob: take('caj-${compactName}-train-${environmentName}', 32)
  actionGroup: 'ag-${baseName}-${environmentName}'
}
var allTags = union(tags, {
  application: baseName
  environment: environmentName
})
var deploymentContainer = 'app-package'

// Secret settings stored by this deployment, and those whose secret exists in the vault.
var secretsWritten = map(filter(items(secretValues), s => !empty(s.value)), s => s.key)
var secretsInVault = union(secretsWritten, externallyManagedSecrets)

// Built-in role definitions (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles)
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
  communicationAndEmailServiceOwner: '09976791-48a7-449e-bb21-39d1a415f350'
}

// ---------------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------------

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: names.identity
    location: location
    tags: allTags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: names.logAnalytics
    appInsightsName: names.appInsights
    location: location
    tags: allTags
    retentionInDays: logRetentionDays
  }
}

// The lake: Parquet tables in blobs, state in tables, work in queues.
module lakeStorage 'modules/storageAccount.bicep' = {
  name: 'lakeStorage'
  params: {
    name: names.lakeStorage
    location: location
    tags: allTags
    skuName: storageSku
    containers: lakeContainers
    queues: storageQueues
    tables: lakeTables
    principalId: identity.outputs.principalId
    roleDefinitionIds: [
      roles.storageBlobDataContributor
      roles.storageQueueDataContributor
      roles.storageTableDataContributor
    ]
    operatorPrincipalIds: operatorPrincipalIds
    operatorRoleDefinitionIds: [
      roles.storageBlobDataContributor
      roles.storageQueueDataContributor
      roles.storageTableDataContributor
    ]
  }
}

// The Functions host's own storage (AzureWebJobsStorage) and the Flex Consumption deployment package.
module hostStorage 'modules/storageAccount.bicep' = {
  name: 'hostStorage'
  params: {
    name: names.hostStorage
    location: location
    tags: allTags
    skuName: 'Standard_LRS'
    containers: [
      deploymentContainer
    ]
    queues: []
    tables: []
    principalId: identity.outputs.principalId
    // The host keeps leases and timer state in blobs (Blob Data Owner, as the Functions docs require).
    roleDefinitionIds: [
      roles.storageBlobDataOwner
      roles.storageQueueDataContributor
      roles.storageTableDataContributor
    ]
    operatorPrincipalIds: []
    operatorRoleDefinitionIds: []
  }
}

module keyVault 'modules/keyVault.bicep' = {
  name: 'keyVault'
  params: {
    name: names.keyVault
    location: location
    tags: allTags
    purgeProtection: keyVaultPurgeProtection
    secretValues: secretValues
    principalId: identity.outputs.principalId
    secretsUserRoleDefinitionId: roles.keyVaultSecretsUser
    operatorPrincipalIds: operatorPrincipalIds
  }
}

module serviceBus 'modules/serviceBus.bicep' = {
  name: 'serviceBus'
  params: {
    name: names.serviceBus
    location: location
    tags: allTags
    topics: serviceBusTopics
    topicSubscriptions: topicSubscriptions
    queues: union(queueProvider == 'servicebus' ? workQueues : [], forwardQueues)
    maxDeliveryCount: queueMaxAttempts
    principalId: identity.outputs.principalId
    roleDefinitionIds: [
      roles.serviceBusDataSender
      roles.serviceBusDataReceiver
    ]
  }
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  params: {
    name: names.registry
    location: location
    tags: allTags
    principalId: identity.outputs.principalId
    acrPullRoleDefinitionId: roles.acrPull
  }
}

module communication 'modules/communication.bicep' = {
  name: 'communication'
  params: {
    emailServiceName: names.emailService
    communicationName: names.communication
    dataLocation: communicationDataLocation
    tags: allTags
    principalId: identity.outputs.principalId
    // No send-only built-in role exists for Entra-authenticated e-mail: this is the narrowest one,
    // scoped to this Communication Services resource alone.
    emailSenderRoleDefinitionId: roles.communicationAndEmailServiceOwner
  }
}

// Values of settings that the deployment decides (infra/appSettings.ts FROM_DEPLOYMENT).
var deploymentValues = {
  lakeStorageAccountName: lakeStorage.outputs.name
  identityClientId: identity.outputs.clientId
  queueProvider: queueProvider
  serviceBusNamespace: serviceBus.outputs.fullyQualifiedNamespace
  queueMaxAttempts: queueMaxAttempts
  keyVaultUri: keyVault.outputs.vaultUri
  communicationEndpoint: communication.outputs.endpoint
  emailSenderAddress: communication.outputs.senderAddress
  alertsTopic: serviceBusTopics[0]
}

// Every setting of lib/config/settings.ts, generated by `npm run infra:settings`.
module appSettings 'modules/appSettings.generated.bicep' = {
  name: 'appSettings'
  params: {
    deployment: deploymentValues
    keyVaultUri: keyVault.outputs.vaultUri
    secretsInVault: secretsInVault
    overrides: settingOverrides
  }
}

module functionApp 'modules/functionApp.bicep' = {
  name: 'functionApp'
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: allTags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    hostStorageAccountName: hostStorage.outputs.name
    deploymentContainerName: deploymentContainer
    lakeQueueServiceUri: lakeStorage.outputs.queueEndpoint
    serviceBusNamespace: serviceBus.outputs.fullyQualifiedNamespace
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    alwaysReadyHttpInstances: alwaysReadyHttpInstances
    httpPerInstanceConcurrency: httpPerInstanceConcurrency
    queueMaxAttempts: queueMaxAttempts
    schemaSettings: appSettings.outputs.settings
  }
  // Key Vault references and identity-based connections resolve once the roles exist.
  dependsOn: [
    keyVault
    lakeStorage
    hostStorage
    serviceBus
  ]
}

module trainingJob 'modules/trainingJob.bicep' = {
  name: 'trainingJob'
  params: {
    environmentName: names.containerEnvironment
    jobName: names.trainingJob
    location: location
    tags: allTags
    logAnalyticsName: monitoring.outputs.logAnalyticsName
    identityId: identity.outputs.id
    registryLoginServer: registry.outputs.loginServer
    image: trainingImage
    cronExpression: trainingCron
    replicaTimeoutSeconds: trainingReplicaTimeoutSeconds
    replicaRetryLimit: trainingReplicaRetryLimit
    cpu: trainingCpu
    memory: trainingMemory
    settings: appSettings.outputs.settings
    secretsInVault: secretsInVault
    keyVaultUri: keyVault.outputs.vaultUri
  }
  // The job pulls with AcrPull and reads Key Vault secrets with the identity's roles.
  dependsOn: [
    registry
    keyVault
    lakeStorage
  ]
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    actionGroupName: names.actionGroup
    location: location
    tags: allTags
    appInsightsId: monitoring.outputs.appInsightsId
    alertEmail: alertEmail
    latencyThresholdMs: latencyThresholdMs
    failureThreshold: failureThreshold
    environmentName: environmentName
  }
}

// ---------------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------------

@description('Base URL of the HTTP API, e.g. <apiUrl>/health and <apiUrl>/predict/device-failure.')
output apiUrl string = functionApp.outputs.apiUrl
output functionAppName string = functionApp.outputs.name
output lakeStorageAccountName string = lakeStorage.outputs.name
output hostStorageAccountName string = hostStorage.outputs.name
output registryName string = registry.outputs.name
output registryLoginServer string = registry.outputs.loginServer
output trainingJobName string = trainingJob.outputs.jobName
output keyVaultName string = keyVault.outputs.name
output serviceBusNamespace string = serviceBus.outputs.fullyQualifiedNamespace
@description('Name of the managed identity: the SQL Server user to create for LIMS_SQL_AUTH=entra (docs/sql-server.md).')
output identityName string = identity.outputs.name
output identityClientId string = identity.outputs.clientId
output emailSenderAddress string = communication.outputs.senderAddress
output communicationEndpoint string = communication.outputs.endpoint
output appInsightsName string = monitoring.outputs.appInsightsName
