// Service Bus namespace (Entra ID only): the topics and their subscriptions (alert events), and the
// work queues when QUEUE_PROVIDER=servicebus, whose maxDeliveryCount is QUEUE_MAX_ATTEMPTS.
param name string
param location string
param tags object
param topics array
@description('Subscriptions created on every topic: { name, forwardTo } (forwardTo: a queue of this namespace, or empty).')
param topicSubscriptions array
param queues array
param maxDeliveryCount int
param principalId string
param roleDefinitionIds array

resource namespace 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' = {
  name: name
  location: location
  tags: tags
  sku: {
    // Topics need Standard or Premium.
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource serviceBusTopics 'Microsoft.ServiceBus/namespaces/topics@2022-10-01-preview' = [for topic in topics: {
  parent: namespace
  name: topic
  properties: {
    defaultMessageTimeToLive: 'P14D'
    maxSizeInMegabytes: 1024
    requiresDuplicateDetection: false
  }
}]

// Every (topic, subscription) pair, without nested lambdas.
var subscriptionCount = length(topicSubscriptions)
var subscriptions = [for i in range(0, length(topics) * subscriptionCount): {
  topic: topics[i / subscriptionCount]
  name: topicSubscriptions[i % subscriptionCount].name
  forwardTo: topicSubscriptions[i % subscriptionCount].forwardTo
}]

resource serviceBusSubscriptions 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2022-10-01-preview' = [for sub in subscriptions: {
  name: '${namespace.name}/${sub.topic}/${sub.name}'
  properties: {
    lockDuration: 'PT1M'
    maxDeliveryCount: maxDeliveryCount
    deadLetteringOnMessageExpiration: true
    defaultMessageTimeToLive: 'P14D'
    // Auto-forwarding moves each event to the consumer's queue (dead-lettered after maxDeliveryCount).
    forwardTo: empty(sub.forwardTo) ? null : sub.forwardTo
  }
  dependsOn: [
    serviceBusTopics
    serviceBusQueues
  ]
}]

resource serviceBusQueues 'Microsoft.ServiceBus/namespaces/queues@2022-10-01-preview' = [for queue in queues: {
  parent: namespace
  name: queue
  properties: {
    // A unit of work (a silver unit, a gold shard) may run for minutes: 5 minutes is the longest lock.
    lockDuration: 'PT5M'
    maxDeliveryCount: maxDeliveryCount
    deadLetteringOnMessageExpiration: true
    defaultMessageTimeToLive: 'P14D'
    requiresDuplicateDetection: false
  }
}]

resource roles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleId in roleDefinitionIds: {
  name: guid(namespace.id, principalId, roleId)
  scope: namespace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

output name string = namespace.name
// serviceBusEndpoint is https://<name>.servicebus.windows.net:443/
output fullyQualifiedNamespace string = split(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), ':')[0]
