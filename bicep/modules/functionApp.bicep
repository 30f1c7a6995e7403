// The Function App on Flex Consumption (Node.js 20, Linux): deployment package in a blob container
// reached with the managed identity, always-ready instances for the HTTP functions, identity-based
// host connections, and the schema's app settings (appSettings.generated.bicep).
// Flex Consumption rejects or ignores FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION,
// WEBSITE_RUN_FROM_PACKAGE, WEBSITE_CONTENTSHARE, WEBSITE_TIME_ZONE and friends: none is set here.
param name string
param planName string
param location string
param tags object
param identityId string
param identityClientId string
param hostStorageAccountName string
param deploymentContainerName string
@description('Queue endpoint of the lake account: the `LakeStorage` connection of the queue triggers (functions/index.ts).')
param lakeQueueServiceUri string
@description('Fully qualified Service Bus namespace: the `ServiceBus` connection of the Service Bus triggers.')
param serviceBusNamespace string
@secure()
param appInsightsConnectionString string
param instanceMemoryMB int
param maximumInstanceCount int
param alwaysReadyHttpInstances int
param httpPerInstanceConcurrency int
param queueMaxAttempts int
@description('The schema settings (appSettings.generated.bicep output).')
param schemaSettings object

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageAccountName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references resolve with the user-assigned identity (it has Key Vault Secrets User).
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostStorage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        // `http` is the group of every HTTP-triggered function (health, predictions, models).
        alwaysReady: alwaysReadyHttpInstances > 0 ? [
          {
            name: 'http'
            instanceCount: alwaysReadyHttpInstances
          }
        ] : []
        triggers: {
          http: {
            perInstanceConcurrency: httpPerInstanceConcurrency
          }
        }
      }
      runtime: {
        name: 'node'
        version: '20'
      }
    }
  }
}

// Host connections: identity-based, with the user-assigned identity's client id.
var hostSettings = {
  AzureWebJobsStorage__blobServiceUri: hostStorage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: hostStorage.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: hostStorage.properties.primaryEndpoints.table
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  LakeStorage__queueServiceUri: lakeQueueServiceUri
  LakeStorage__credential: 'managedidentity'
  LakeStorage__clientId: identityClientId
  ServiceBus__fullyQualifiedNamespace: serviceBusNamespace
  ServiceBus__credential: 'managedidentity'
  ServiceBus__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  // host.json sets maxDequeueCount 5; this keeps it equal to QUEUE_MAX_ATTEMPTS when that changes.
  AzureFunctionsJobHost__extensions__queues__maxDequeueCount: string(queueMaxAttempts)
}

// The whole collection is replaced on every deployment: a setting absent here is removed.
resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: union(schemaSettings, hostSettings)
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
output apiUrl string = 'https://${site.properties.defaultHostName}/api'
