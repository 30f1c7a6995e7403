// Key Vault (RBAC authorization) holding the secret settings: PII_HASH_KEY, LIMS_SQL_PASSWORD,
// ADMIN_API_KEY, webhook URLs. App settings refer to them (@Microsoft.KeyVault(SecretUri=...));
// the training job mounts them as Container Apps Key Vault secrets.
param name string
param location string
param tags object
param purgeProtection bool

@secure()
@description('Secret values by setting name; each non-empty one becomes the secret <SETTING-NAME> (underscores as dashes).')
param secretValues object

param principalId string
param secretsUserRoleDefinitionId string
@description('People or groups who may read the secrets (e.g. the PII key for a CLI run against Azure).')
param operatorPrincipalIds array

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // Purge protection can only be switched on; null leaves it off.
    enablePurgeProtection: purgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
  }
}

var written = filter(items(secretValues), s => !empty(s.value))

resource secrets 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [for secret in written: {
  parent: vault
  name: replace(secret.key, '_', '-')
  properties: {
    value: secret.value
    contentType: 'text/plain'
  }
}]

resource identitySecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, secretsUserRoleDefinitionId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUserRoleDefinitionId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource operatorSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for operator in operatorPrincipalIds: {
  name: guid(vault.id, operator, secretsUserRoleDefinitionId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUserRoleDefinitionId)
    principalId: operator
  }
}]

output name string = vault.name
output id string = vault.id
output vaultUri string = vault.properties.vaultUri
