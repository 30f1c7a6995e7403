// A storage account reached only with Entra ID (no shared keys, no public blobs, TLS 1.2), with its
// blob containers, queues and tables, and data roles for the managed identity and the operators.
param name string
param location string
param tags object
param skuName string
param containers array
param queues array
param tables array

@description('Principal id of the managed identity.')
param principalId string
@description('Roles (built-in role definition GUIDs) the managed identity gets on this account.')
param roleDefinitionIds array
@description('Object ids of people or groups who get operatorRoleDefinitionIds on this account.')
param operatorPrincipalIds array
param operatorRoleDefinitionIds array

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    // Every client (Functions host, app, training job, CLI) authenticates with Entra ID.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource blobContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for container in containers: {
  parent: blobService
  name: container
  properties: {
    publicAccess: 'None'
  }
}]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource storageQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [for queue in queues: {
  parent: queueService
  name: queue
}]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource storageTables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [for table in tables: {
  parent: tableService
  name: table
}]

resource identityRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleId in roleDefinitionIds: {
  name: guid(account.id, principalId, roleId)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

// Every (operator, role) pair, without nested lambdas.
var operatorRoleCount = length(operatorRoleDefinitionIds)
var operatorAssignments = [for i in range(0, length(operatorPrincipalIds) * operatorRoleCount): {
  principalId: operatorPrincipalIds[i / operatorRoleCount]
  roleId: operatorRoleDefinitionIds[i % operatorRoleCount]
}]

resource operatorRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for assignment in operatorAssignments: {
  name: guid(account.id, assignment.principalId, assignment.roleId)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', assignment.roleId)
    principalId: assignment.principalId
  }
}]

output name string = account.name
output id string = account.id
output blobEndpoint string = account.properties.primaryEndpoints.blob
output queueEndpoint string = account.properties.primaryEndpoints.queue
output tableEndpoint string = account.properties.primaryEndpoints.table
