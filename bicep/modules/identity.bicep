// The user-assigned managed identity of the Function App and the training job: every data-plane
// permission is a role assignment to it, scoped to the one resource it needs (see main.bicep).
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
