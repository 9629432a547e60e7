package stack

import (
	"encoding/json"

	"github.com/orderpipe/orderpipe/function"
)

// The CloudWatch dashboard body format: a grid 24 units wide of metric
// widgets, each metric written as [namespace, name, dimension, value, options].
type dashboard struct {
	Widgets []widget `json:"widgets"`
}

type widget struct {
	Type       string       `json:"type"`
	X          int          `json:"x"`
	Y          int          `json:"y"`
	Width      int          `json:"width"`
	Height     int          `json:"height"`
	Properties widgetConfig `json:"properties"`
}

type widgetConfig struct {
	Title   string  `json:"title"`
	Region  string  `json:"region"`
	View    string  `json:"view"`
	Stacked bool    `json:"stacked"`
	Period  int     `json:"period"`
	Metrics [][]any `json:"metrics"`
}

// outcomeMetrics are the counts the handler writes per batch as Embedded
// Metric Format lines.
func outcomeMetrics(fnName string) [][]any {
	var ms [][]any
	for _, o := range function.Outcomes() {
		ms = append(ms, metric(function.MetricsNamespace, o.MetricName(), "FunctionName", fnName, "Sum"))
	}
	return ms
}

func metric(namespace, name, dimension, value, stat string) []any {
	return []any{namespace, name, dimension, value, map[string]string{"stat": stat}}
}

// dashboardNames are the physical names of what the dashboard shows.
type dashboardNames struct {
	queue, dlq, subscriptionDLQ, topic, function, table string
}

// dashboardBody lays out what an operator opens first: does SNS deliver
// every order, is the queue keeping up, is anything in either DLQ, is the
// function healthy, is the table taking writes.
func dashboardBody(region string, n dashboardNames) (string, error) {
	queueName, dlqName, fnName, tableName := n.queue, n.dlq, n.function, n.table
	panels := []struct {
		title   string
		metrics [][]any
	}{
		{"OrderQueue depth", [][]any{
			metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queueName, "Maximum"),
			metric("AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "QueueName", queueName, "Maximum"),
		}},
		{"OrderQueue oldest message age (s)", [][]any{
			metric("AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", queueName, "Maximum"),
		}},
		{"OrderQueueDLQ depth", [][]any{
			metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", dlqName, "Maximum"),
		}},
		// Every published order is delivered, or redriven to the
		// subscription's DLQ; one that failed to redrive is lost.
		{"OrderTopic deliveries to OrderQueue", [][]any{
			metric("AWS/SNS", "NumberOfMessagesPublished", "TopicName", n.topic, "Sum"),
			metric("AWS/SNS", "NumberOfNotificationsDelivered", "TopicName", n.topic, "Sum"),
			metric("AWS/SNS", "NumberOfNotificationsFailed", "TopicName", n.topic, "Sum"),
			metric("AWS/SNS", "NumberOfNotificationsRedrivenToDlq", "TopicName", n.topic, "Sum"),
			metric("AWS/SNS", "NumberOfNotificationsFailedToRedriveToDlq", "TopicName", n.topic, "Sum"),
		}},
		{"OrderQueueSubscriptionDLQ depth (undelivered by SNS)", [][]any{
			metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", n.subscriptionDLQ, "Maximum"),
		}},
		{"ProcessOrderLambda invocations and errors", [][]any{
			metric("AWS/Lambda", "Invocations", "FunctionName", fnName, "Sum"),
			metric("AWS/Lambda", "Errors", "FunctionName", fnName, "Sum"),
			metric("AWS/Lambda", "Throttles", "FunctionName", fnName, "Sum"),
		}},
		{"ProcessOrderLambda duration (ms)", [][]any{
			metric("AWS/Lambda", "Duration", "FunctionName", fnName, "p99"),
			metric("AWS/Lambda", "Duration", "FunctionName", fnName, "Average"),
		}},
		{"Orders by outcome (from the function's EMF lines)", outcomeMetrics(fnName)},
		// ThrottledRequests would need an Operation dimension too: with
		// TableName alone it is never published. The throttle events are.
		{"Orders table writes and throttles", [][]any{
			metric("AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName", tableName, "Sum"),
			metric("AWS/DynamoDB", "WriteThrottleEvents", "TableName", tableName, "Sum"),
			metric("AWS/DynamoDB", "ReadThrottleEvents", "TableName", tableName, "Sum"),
		}},
	}
	const width, height = 8, 6 // three panels a row
	const perRow = 3
	var d dashboard
	for i, p := range panels {
		d.Widgets = append(d.Widgets, widget{
			Type: "metric", X: (i % perRow) * width, Y: (i / perRow) * height, Width: width, Height: height,
			Properties: widgetConfig{Title: p.title, Region: region, View: "timeSeries", Period: 60, Metrics: p.metrics},
		})
	}
	b, err := json.Marshal(d)
	return string(b), err
}
