package corpus

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The delivery policies' programs: the pairings AWS documents as unable to
// deliver (an AWS managed key where a service must encrypt), and deliveries
// with nowhere to put a failure. Verdicts from the AWS documentation cited
// on each group.

// topicTo subscribes q to topic, with the queue policy SNS needs, and, when
// dlq is not nil, that queue as the subscription's dead-letter queue.
func topicTo(ctx *pulumi.Context, name string, topic *sns.Topic, q, dlq *sqs.Queue) {
	allow := func(q *sqs.Queue, policyName string) pulumi.Resource {
		return must(sqs.NewQueuePolicy(ctx, policyName, &sqs.QueuePolicyArgs{QueueUrl: q.Url,
			Policy: pulumi.All(q.Arn, topic.Arn).ApplyT(func(a []any) string {
				return `{"Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"` + a[0].(string) +
					`","Condition":{"ArnEquals":{"aws:SourceArn":"` + a[1].(string) + `"}}},{"Effect":"Deny","Principal":"*","Action":"sqs:*","Resource":"` + a[0].(string) +
					`","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
			}).(pulumi.StringOutput)}))
	}
	args := &sns.TopicSubscriptionArgs{Topic: topic.Arn, Protocol: pulumi.String("sqs"), Endpoint: q.Arn}
	deps := []pulumi.Resource{allow(q, name+"Policy")}
	if dlq != nil {
		args.RedrivePolicy = dlq.Arn.ApplyT(func(arn string) string { return `{"deadLetterTargetArn":"` + arn + `"}` }).(pulumi.StringOutput)
		deps = append(deps, allow(dlq, name+"DlqPolicy"))
	}
	must(sns.NewTopicSubscription(ctx, name, args, pulumi.DependsOn(deps)))
}

// snsKey is a customer managed key SNS may use, as a subscription DLQ
// needs (or, with service "cloudwatch.amazonaws.com", as an alarm topic).
func snsKey(ctx *pulumi.Context, name, service string) *kms.Key {
	return must(kms.NewKey(ctx, name, &kms.KeyArgs{EnableKeyRotation: pulumi.Bool(true),
		Policy: pulumi.String(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"},` +
			`{"Effect":"Allow","Principal":{"Service":"` + service + `"},"Action":["kms:GenerateDataKey*","kms:Decrypt"],"Resource":"*"}]}`)}))
}

func topic(ctx *pulumi.Context, name string, key pulumi.StringInput) *sns.Topic {
	return must(sns.NewTopic(ctx, name, &sns.TopicArgs{KmsMasterKeyId: key}))
}

// alarmTo is a DLQ alarm of the usual shape that notifies topic.
func alarmTo(ctx *pulumi.Context, name string, dlq *sqs.Queue, topic *sns.Topic) {
	must(cloudwatch.NewMetricAlarm(ctx, name, &cloudwatch.MetricAlarmArgs{ComparisonOperator: pulumi.String("GreaterThanOrEqualToThreshold"),
		EvaluationPeriods: pulumi.Int(1), Threshold: pulumi.Float64(1), Namespace: pulumi.String("AWS/SQS"),
		MetricName: pulumi.String("ApproximateNumberOfMessagesVisible"), Statistic: pulumi.String("Maximum"), Period: pulumi.Int(60),
		Dimensions: pulumi.StringMap{"QueueName": dlq.Name}, AlarmActions: pulumi.Array{topic.Arn}}))
}

func onStream(ctx *pulumi.Context, name, source string, args *lambda.EventSourceMappingArgs) {
	fn := function(ctx, "Consumer", 30)
	args.EventSourceArn, args.FunctionName, args.StartingPosition = pulumi.String(source), fn.Arn, pulumi.String("LATEST")
	must(lambda.NewEventSourceMapping(ctx, name, args))
}

const (
	kinesisStream = "arn:aws:kinesis:eu-west-1:123456789012:stream/clicks"
	tableStream   = "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000"
)

var delivery = []Program{
	// sns-sqs-aws-managed-key. SNS developer guide, "Encryption at rest"
	// (an encrypted SQS subscriber needs a key whose policy admits
	// sns.amazonaws.com, which the AWS managed key's cannot) and "Amazon
	// SNS dead-letter queues" (an encrypted subscription DLQ needs a
	// customer managed key).
	{"fan-out to an SSE-SQS queue with a DLQ under a key of its own", func(ctx *pulumi.Context) error {
		q, _ := worker(ctx, 30, 180)
		dlq := queue(ctx, "EventsDlq", &sqs.QueueArgs{KmsMasterKeyId: snsKey(ctx, "EventsDlqKey", "sns.amazonaws.com").Arn, MessageRetentionSeconds: pulumi.Int(1209600)})
		topicTo(ctx, "JobsSub", topic(ctx, "Events", pulumi.String("alias/aws/sns")), q, dlq)
		return nil
	}, nil},
	{"fan-out to a queue under a customer managed key", func(ctx *pulumi.Context) error {
		q := queue(ctx, "Audit", &sqs.QueueArgs{KmsMasterKeyId: snsKey(ctx, "AuditKey", "sns.amazonaws.com").Arn})
		topicTo(ctx, "AuditSub", topic(ctx, "Events", pulumi.String("alias/aws/sns")), q, nil)
		return nil
	}, nil},
	{"fan-out to a queue under alias/aws/sqs", func(ctx *pulumi.Context) error {
		q := queue(ctx, "Audit", &sqs.QueueArgs{KmsMasterKeyId: pulumi.String("alias/aws/sqs")})
		topicTo(ctx, "AuditSub", topic(ctx, "Events", pulumi.String("alias/aws/sns")), q, nil)
		return nil
	}, []string{"sns-sqs-aws-managed-key AuditSub"}},
	{"fan-out to a queue under the ARN of alias/aws/sqs", func(ctx *pulumi.Context) error {
		q := queue(ctx, "Audit", &sqs.QueueArgs{KmsMasterKeyId: pulumi.String("arn:aws:kms:eu-west-1:123456789012:alias/aws/sqs")})
		topicTo(ctx, "AuditSub", topic(ctx, "Events", pulumi.String("alias/aws/sns")), q, nil)
		return nil
	}, []string{"sns-sqs-aws-managed-key AuditSub"}},
	{"a subscription DLQ under alias/aws/sqs", func(ctx *pulumi.Context) error {
		q, _ := worker(ctx, 30, 180)
		dlq := queue(ctx, "EventsDlq", &sqs.QueueArgs{KmsMasterKeyId: pulumi.String("alias/aws/sqs"), MessageRetentionSeconds: pulumi.Int(1209600)})
		topicTo(ctx, "JobsSub", topic(ctx, "Events", pulumi.String("alias/aws/sns")), q, dlq)
		return nil
	}, []string{"sns-sqs-aws-managed-key JobsSub"}},
	{"a queue under alias/aws/sqs that SNS does not feed", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		queue(ctx, "Audit", &sqs.QueueArgs{KmsMasterKeyId: pulumi.String("alias/aws/sqs")})
		return nil
	}, nil},

	// sns-aws-managed-key-service-publisher. CloudWatch user guide, "Using
	// Amazon CloudWatch alarms" (an alarm's encrypted SNS topic needs a key
	// policy that admits cloudwatch.amazonaws.com); EventBridge user guide,
	// "Permissions for Amazon SNS targets" (an encrypted topic needs a
	// customer managed key); S3 user guide, "Granting permissions to publish
	// event notification messages to a destination" (the same for S3).
	{"an alarm notifies a topic under a key that admits CloudWatch", func(ctx *pulumi.Context) error {
		_, dlq := dlqPair(ctx, "Jobs", 180)
		alarmTo(ctx, "DlqAlarm", dlq, topic(ctx, "Alerts", snsKey(ctx, "AlertsKey", "cloudwatch.amazonaws.com").Arn))
		return nil
	}, nil},
	{"an alarm notifies a topic under alias/aws/sns", func(ctx *pulumi.Context) error {
		_, dlq := dlqPair(ctx, "Jobs", 180)
		alarmTo(ctx, "DlqAlarm", dlq, topic(ctx, "Alerts", pulumi.String("alias/aws/sns")))
		return nil
	}, []string{"sns-aws-managed-key-service-publisher Alerts"}},
	{"an alarm's OK action names a topic under alias/aws/sns by its ARN", func(ctx *pulumi.Context) error {
		_, dlq := dlqPair(ctx, "Jobs", 180)
		must(sns.NewTopic(ctx, "Alerts", &sns.TopicArgs{Name: pulumi.String("team-dev-alerts"), KmsMasterKeyId: pulumi.String("alias/aws/sns")}))
		must(cloudwatch.NewMetricAlarm(ctx, "DlqAlarm", &cloudwatch.MetricAlarmArgs{ComparisonOperator: pulumi.String("GreaterThanOrEqualToThreshold"),
			EvaluationPeriods: pulumi.Int(1), Threshold: pulumi.Float64(1), Namespace: pulumi.String("AWS/SQS"),
			MetricName: pulumi.String("ApproximateNumberOfMessagesVisible"), Statistic: pulumi.String("Maximum"), Period: pulumi.Int(60),
			Dimensions: pulumi.StringMap{"QueueName": dlq.Name},
			OkActions:  pulumi.Array{pulumi.String("arn:aws:sns:eu-west-1:123456789012:team-dev-alerts")}}))
		return nil
	}, []string{"sns-aws-managed-key-service-publisher Alerts"}},
	{"an EventBridge rule targets a topic under alias/aws/sns", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		t := topic(ctx, "Events", pulumi.String("alias/aws/sns"))
		rule := must(cloudwatch.NewEventRule(ctx, "Nightly", &cloudwatch.EventRuleArgs{ScheduleExpression: pulumi.String("rate(1 day)")}))
		must(cloudwatch.NewEventTarget(ctx, "NightlyToTopic", &cloudwatch.EventTargetArgs{Rule: rule.ID(), Arn: t.Arn}))
		return nil
	}, []string{"sns-aws-managed-key-service-publisher Events"}},
	{"an EventBridge rule targets a topic under a key that admits EventBridge", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		t := topic(ctx, "Events", snsKey(ctx, "EventsKey", "events.amazonaws.com").Arn)
		rule := must(cloudwatch.NewEventRule(ctx, "Nightly", &cloudwatch.EventRuleArgs{ScheduleExpression: pulumi.String("rate(1 day)")}))
		must(cloudwatch.NewEventTarget(ctx, "NightlyToTopic", &cloudwatch.EventTargetArgs{Rule: rule.ID(), Arn: t.Arn}))
		return nil
	}, nil},
	{"S3 notifies a topic under alias/aws/sns", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		t := topic(ctx, "Uploads", pulumi.String("alias/aws/sns"))
		bucket := must(s3.NewBucketV2(ctx, "Inbox", nil))
		must(s3.NewBucketNotification(ctx, "InboxEvents", &s3.BucketNotificationArgs{Bucket: bucket.ID(),
			Topics: s3.BucketNotificationTopicArray{s3.BucketNotificationTopicArgs{TopicArn: t.Arn, Events: pulumi.StringArray{pulumi.String("s3:ObjectCreated:*")}}}}))
		return nil
	}, []string{"sns-aws-managed-key-service-publisher Uploads"}},
	{"producers publish to a topic under alias/aws/sns, alarms to another", func(ctx *pulumi.Context) error {
		q, dlq := dlqPair(ctx, "Jobs", 180)
		mapping(ctx, "JobsMapping", q.Arn, function(ctx, "Worker", 30).Arn, true)
		topicTo(ctx, "JobsSub", topic(ctx, "Orders", pulumi.String("alias/aws/sns")), q, nil)
		alarmTo(ctx, "DlqAlarm", dlq, topic(ctx, "Alerts", snsKey(ctx, "AlertsKey", "cloudwatch.amazonaws.com").Arn))
		return nil
	}, nil},

	// sns-subscription-redrive (advisory). SNS developer guide, "Amazon SNS
	// dead-letter queues": without one, SNS discards a message it cannot
	// deliver. lambda-stream-on-failure (advisory). Lambda developer guide,
	// "Lambda event source mappings: error handling" for Kinesis and
	// DynamoDB Streams: retries until the record expires by default, and
	// an on-failure destination keeps a record of what is discarded.
	{"a Lambda subscription without a DLQ", func(ctx *pulumi.Context) error {
		fn := function(ctx, "Notifier", 30)
		must(sns.NewTopicSubscription(ctx, "NotifierSub", &sns.TopicSubscriptionArgs{Topic: topic(ctx, "Events", pulumi.String("alias/aws/sns")).Arn,
			Protocol: pulumi.String("lambda"), Endpoint: fn.Arn}))
		return nil
	}, nil},
	{"a Lambda subscription with a DLQ", func(ctx *pulumi.Context) error {
		fn := function(ctx, "Notifier", 30)
		dlq := queue(ctx, "NotifierDlq", &sqs.QueueArgs{KmsMasterKeyId: snsKey(ctx, "NotifierDlqKey", "sns.amazonaws.com").Arn, MessageRetentionSeconds: pulumi.Int(1209600)})
		must(sns.NewTopicSubscription(ctx, "NotifierSub", &sns.TopicSubscriptionArgs{Topic: topic(ctx, "Events", pulumi.String("alias/aws/sns")).Arn,
			Protocol: pulumi.String("lambda"), Endpoint: fn.Arn,
			RedrivePolicy: dlq.Arn.ApplyT(func(arn string) string { return `{"deadLetterTargetArn":"` + arn + `"}` }).(pulumi.StringOutput)}))
		return nil
	}, nil},
	{"an SQS subscription without a DLQ", func(ctx *pulumi.Context) error {
		q, _ := worker(ctx, 30, 180)
		topicTo(ctx, "JobsSub", topic(ctx, "Events", pulumi.String("alias/aws/sns")), q, nil)
		return nil
	}, nil},
	{"an e-mail subscription without a DLQ", func(ctx *pulumi.Context) error {
		must(sns.NewTopicSubscription(ctx, "OpsMail", &sns.TopicSubscriptionArgs{Topic: topic(ctx, "Alerts", snsKey(ctx, "AlertsKey", "cloudwatch.amazonaws.com").Arn).Arn,
			Protocol: pulumi.String("email"), Endpoint: pulumi.String("ops@example.com")}))
		return nil
	}, nil},
	{"a Kinesis mapping with the default retries and nowhere for failures", func(ctx *pulumi.Context) error {
		onStream(ctx, "Clicks", kinesisStream, &lambda.EventSourceMappingArgs{})
		return nil
	}, nil},
	{"a DynamoDB stream mapping with retries -1 and nowhere for failures", func(ctx *pulumi.Context) error {
		onStream(ctx, "OrderChanges", tableStream, &lambda.EventSourceMappingArgs{MaximumRetryAttempts: pulumi.Int(-1)})
		return nil
	}, nil},
	{"a Kinesis mapping with an on-failure queue", func(ctx *pulumi.Context) error {
		failed := queue(ctx, "ClicksFailed", &sqs.QueueArgs{MessageRetentionSeconds: pulumi.Int(1209600)})
		onStream(ctx, "Clicks", kinesisStream, &lambda.EventSourceMappingArgs{BisectBatchOnFunctionError: pulumi.Bool(true),
			DestinationConfig: lambda.EventSourceMappingDestinationConfigArgs{OnFailure: lambda.EventSourceMappingDestinationConfigOnFailureArgs{DestinationArn: failed.Arn}}})
		return nil
	}, nil},
	{"a DynamoDB stream mapping with bounded retries", func(ctx *pulumi.Context) error {
		onStream(ctx, "OrderChanges", tableStream, &lambda.EventSourceMappingArgs{MaximumRetryAttempts: pulumi.Int(3)})
		return nil
	}, nil},
}

// DeliveryAdvice are the advisory verdicts of the delivery policies
// (sns-subscription-redrive, lambda-stream-on-failure) on the programs of
// the corpus that exercise them, by program name, "policy Resource".
func DeliveryAdvice() map[string][]string {
	return map[string][]string{
		"fan-out to an SSE-SQS queue with a DLQ under a key of its own":       nil,
		"fan-out to a queue under a customer managed key":                     {"sns-subscription-redrive AuditSub"},
		"a Lambda subscription without a DLQ":                                 {"sns-subscription-redrive NotifierSub"},
		"a Lambda subscription with a DLQ":                                    nil,
		"an SQS subscription without a DLQ":                                   {"sns-subscription-redrive JobsSub"},
		"an e-mail subscription without a DLQ":                                nil,
		"a Kinesis mapping with the default retries and nowhere for failures": {"lambda-stream-on-failure Clicks"},
		"a DynamoDB stream mapping with retries -1 and nowhere for failures":  {"lambda-stream-on-failure OrderChanges"},
		"a Kinesis mapping with an on-failure queue":                          nil,
		"a DynamoDB stream mapping with bounded retries":                      nil,
	}
}
