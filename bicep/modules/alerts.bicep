// Azure Monitor alerts to an action group: p95 latency of the prediction routes above the target
// (a log search alert: percentiles of request duration are not a metric alert dimension), and
// failed function invocations (the Application Insights metric requests/failed).
param actionGroupName string
param location string
param tags object
param appInsightsId string
param alertEmail string
param latencyThresholdMs int
param failureThreshold int
param environmentName string

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: take('lims-${environmentName}', 12)
    enabled: true
    emailReceivers: empty(alertEmail) ? [] : [
      {
        name: 'operations'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

// Functions log one request per invocation; only HTTP invocations carry a URL. Windows with fewer
// than 5 predictions are ignored, so that one slow cold request does not page anyone.
var latencyQuery = '''
requests
| where url has "/api/predict"
| summarize p95 = percentile(duration, 95), predictions = count()
| where predictions >= 5
'''

resource latencyAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${environmentName}-prediction-latency-p95'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'lims-mlops ${environmentName}: prediction p95 latency above ${latencyThresholdMs} ms'
    description: 'p95 duration of /api/predict requests over 15 minutes is above the target.'
    severity: 2
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: latencyQuery
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'p95'
          operator: 'GreaterThan'
          threshold: latencyThresholdMs
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

resource failureAlert 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-${environmentName}-function-failures'
  location: 'global'
  tags: tags
  properties: {
    description: 'Failed function invocations (any trigger) in the last 15 minutes.'
    severity: 2
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          name: 'FailedInvocations'
          criterionType: 'StaticThresholdCriterion'
          metricNamespace: 'microsoft.insights/components'
          metricName: 'requests/failed'
          operator: 'GreaterThan'
          threshold: failureThreshold
          timeAggregation: 'Count'
        }
      ]
    }
    autoMitigate: true
    actions: [
      {
        actionGroupId: actionGroup.id
      }
    ]
  }
}

output actionGroupId string = actionGroup.id
