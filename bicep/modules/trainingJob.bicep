// Container Apps environment and the training job: `lims-mlops train` on a weekly schedule, image
// pulled from the registry with the managed identity, the schema settings as environment variables
// and secrets as Key Vault references.
param environmentName string
param jobName string
param location string
param tags object
param logAnalyticsName string
param identityId string
param registryLoginServer string
@description('Training image; empty: a public placeholder until the pipeline pushes the first image.')
param image string
@description('Five-field cron (UTC).')
param cronExpression string
param replicaTimeoutSeconds int
param replicaRetryLimit int
param cpu string
param memory string
@description('The schema settings (appSettings.generated.bicep output).')
param settings object
@description('Secret settings whose Key Vault secret exists.')
param secretsInVault array
param keyVaultUri string

// Microsoft's public quickstart image; it only stands in until the first real image is pushed.
var placeholderImage = 'mcr.microsoft.com/k8se/quickstart-jobs:latest'
var usePlaceholder = empty(image)

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: logAnalyticsName
}

resource containerEnvironment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: environmentName
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: workspace.properties.customerId
        sharedKey: workspace.listKeys().primarySharedKey
      }
    }
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
    ]
  }
}

// Key Vault secrets of the container: names are lower case (pii-hash-key).
var containerSecrets = [for setting in secretsInVault: {
  name: toLower(replace(setting, '_', '-'))
  keyVaultUrl: '${keyVaultUri}secrets/${replace(setting, '_', '-')}'
  identity: identityId
}]

// Empty settings are left out (the program uses their default); secrets come from Key Vault.
var envSettings = filter(items(settings), s => contains(secretsInVault, s.key) || !empty(s.value))
var containerEnv = [for s in envSettings: contains(secretsInVault, s.key) ? {
  name: s.key
  secretRef: toLower(replace(s.key, '_', '-'))
} : {
  name: s.key
  value: s.value
}]

resource job 'Microsoft.App/jobs@2024-03-01' = {
  name: jobName
  location: location
  // component: training lets infra/scripts/deploy-infra.sh find the job and the image it runs.
  tags: union(tags, {
    component: 'training'
  })
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    environmentId: containerEnvironment.id
    workloadProfileName: 'Consumption'
    configuration: {
      triggerType: 'Schedule'
      replicaTimeout: replicaTimeoutSeconds
      replicaRetryLimit: replicaRetryLimit
      scheduleTriggerConfig: {
        cronExpression: cronExpression
        parallelism: 1
        replicaCompletionCount: 1
      }
      registries: [
        {
          server: registryLoginServer
          identity: identityId
        }
      ]
      secrets: containerSecrets
    }
    template: {
      containers: [
        {
          name: 'train'
          image: usePlaceholder ? placeholderImage : image
          // The image's entrypoint is `node dist/lib/local/cli.js`; `lims-mlops` is the same
          // program on the PATH (infra/Dockerfile).
          command: usePlaceholder ? [] : [
            'lims-mlops'
          ]
          args: usePlaceholder ? [] : [
            'train'
          ]
          env: containerEnv
          resources: {
            cpu: json(cpu)
            memory: memory
          }
        }
      ]
    }
  }
}

output jobName string = job.name
output environmentId string = containerEnvironment.id
