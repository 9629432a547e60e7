// Package corpus holds Pulumi Go programs of the shapes other teams write
// with pulumi-aws v6, not orderpipe's own stack, each with the mandatory
// verdicts the policy pack must give. The pack's tests run them under the
// SDK's mocks (as after an update and as a first preview) and, some, through
// the real engine with the stand-in provider.
package corpus

import (
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Helpers that read like the programs teams write.
func queue(ctx *pulumi.Context, name string, args *sqs.QueueArgs) *sqs.Queue {
	if args == nil {
		args = &sqs.QueueArgs{}
	}
	q, err := sqs.NewQueue(ctx, name, args)
	if err != nil {
		panic(err)
	}
	return q
}

func redriveTo(dlq *sqs.Queue, maxReceive string) pulumi.StringOutput {
	return dlq.Arn.ApplyT(func(arn string) string {
		return `{"deadLetterTargetArn":"` + arn + `","maxReceiveCount":` + maxReceive + `}`
	}).(pulumi.StringOutput)
}

// dlqPair is a queue with a 14-day DLQ, as most teams write it.
func dlqPair(ctx *pulumi.Context, name string, visibility int) (*sqs.Queue, *sqs.Queue) {
	dlq := queue(ctx, name+"Dlq", &sqs.QueueArgs{MessageRetentionSeconds: pulumi.Int(1209600)})
	args := &sqs.QueueArgs{RedrivePolicy: redriveTo(dlq, "5")}
	if visibility > 0 { // 0: unset, AWS's default
		args.VisibilityTimeoutSeconds = pulumi.Int(visibility)
	}
	return queue(ctx, name, args), dlq
}

func function(ctx *pulumi.Context, name string, timeout int) *lambda.Function {
	args := &lambda.FunctionArgs{Runtime: pulumi.String("provided.al2023"), Handler: pulumi.String("bootstrap"),
		Role: pulumi.String("arn:aws:iam::123456789012:role/team-dev-worker"), TracingConfig: lambda.FunctionTracingConfigArgs{Mode: pulumi.String("Active")}}
	if timeout > 0 {
		args.Timeout = pulumi.Int(timeout)
	}
	fn, err := lambda.NewFunction(ctx, name, args)
	if err != nil {
		panic(err)
	}
	return fn
}

func mapping(ctx *pulumi.Context, name string, source, fn pulumi.StringInput, partial bool) {
	args := &lambda.EventSourceMappingArgs{EventSourceArn: source, FunctionName: fn, BatchSize: pulumi.Int(10),
		ScalingConfig: lambda.EventSourceMappingScalingConfigArgs{MaximumConcurrency: pulumi.Int(5)}}
	if partial {
		args.FunctionResponseTypes = pulumi.StringArray{pulumi.String("ReportBatchItemFailures")}
	}
	if _, err := lambda.NewEventSourceMapping(ctx, name, args); err != nil {
		panic(err)
	}
}

// worker is the usual shape: queue, DLQ, function, mapping.
func worker(ctx *pulumi.Context, timeout, visibility int) (*sqs.Queue, *lambda.Function) {
	q, _ := dlqPair(ctx, "Jobs", visibility)
	fn := function(ctx, "Worker", timeout)
	mapping(ctx, "JobsMapping", q.Arn, fn.Arn, true)
	return q, fn
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func rolePolicy(ctx *pulumi.Context, name, doc string) {
	must(iam.NewRolePolicy(ctx, name, &iam.RolePolicyArgs{Role: pulumi.String("team-dev-worker"), Policy: pulumi.String(doc)}))
}

func queuePolicy(ctx *pulumi.Context, name string, q *sqs.Queue, statement string) {
	must(sqs.NewQueuePolicy(ctx, name, &sqs.QueuePolicyArgs{QueueUrl: q.Url,
		Policy: q.Arn.ApplyT(func(arn string) string {
			return `{"Version":"2012-10-17","Statement":[` + strings.ReplaceAll(statement, "QUEUE", arn) +
				`,{"Effect":"Deny","Principal":"*","Action":"sqs:*","Resource":"` + arn + `","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
		}).(pulumi.StringOutput)}))
}

// Program is one team's program and the mandatory verdicts the pack gives
// it once every value is known, "policy Resource".
type Program struct {
	Name string
	Run  pulumi.RunFunc
	Want []string
}

// Programs are the corpus.
func Programs() []Program { return append(append([]Program(nil), programs...), delivery...) }

var programs = []Program{
	// Shapes that are right.
	{"worker", func(ctx *pulumi.Context) error { worker(ctx, 30, 180); return nil }, nil},
	{"worker with a batching window", func(ctx *pulumi.Context) error {
		q, _ := dlqPair(ctx, "Jobs", 200)
		fn := function(ctx, "Worker", 30)
		must(lambda.NewEventSourceMapping(ctx, "JobsMapping", &lambda.EventSourceMappingArgs{EventSourceArn: q.Arn, FunctionName: fn.Arn,
			MaximumBatchingWindowInSeconds: pulumi.Int(20), FunctionResponseTypes: pulumi.StringArray{pulumi.String("ReportBatchItemFailures")}}))
		return nil
	}, nil},
	{"two queues, one function", func(ctx *pulumi.Context) error {
		a, _ := dlqPair(ctx, "Orders", 180)
		b, _ := dlqPair(ctx, "Refunds", 180)
		fn := function(ctx, "Worker", 30)
		mapping(ctx, "OrdersMapping", a.Arn, fn.Arn, true)
		mapping(ctx, "RefundsMapping", b.Arn, fn.Arn, true)
		return nil
	}, nil},
	{"default function timeout, default visibility", func(ctx *pulumi.Context) error {
		q, _ := dlqPair(ctx, "Jobs", 0)
		mapping(ctx, "JobsMapping", q.Arn, function(ctx, "Worker", 0).Arn, true)
		return nil
	}, nil},
	{"redrive as a resource of its own", func(ctx *pulumi.Context) error {
		dlq := queue(ctx, "JobsDlq", &sqs.QueueArgs{MessageRetentionSeconds: pulumi.Int(1209600)})
		q := queue(ctx, "Jobs", &sqs.QueueArgs{VisibilityTimeoutSeconds: pulumi.Int(180)})
		must(sqs.NewRedrivePolicy(ctx, "JobsRedrive", &sqs.RedrivePolicyArgs{QueueUrl: q.Url, RedrivePolicy: redriveTo(dlq, "5")}))
		mapping(ctx, "JobsMapping", q.Arn, function(ctx, "Worker", 30).Arn, true)
		return nil
	}, nil},
	{"maxReceiveCount as a string", func(ctx *pulumi.Context) error {
		dlq := queue(ctx, "JobsDlq", &sqs.QueueArgs{MessageRetentionSeconds: pulumi.Int(1209600)})
		q := queue(ctx, "Jobs", &sqs.QueueArgs{VisibilityTimeoutSeconds: pulumi.Int(180), RedrivePolicy: redriveTo(dlq, `"5"`)})
		mapping(ctx, "JobsMapping", q.Arn, function(ctx, "Worker", 30).Arn, true)
		return nil
	}, nil},
	{"FIFO worker", func(ctx *pulumi.Context) error {
		dlq := queue(ctx, "JobsDlq", &sqs.QueueArgs{FifoQueue: pulumi.Bool(true)})
		q := queue(ctx, "Jobs", &sqs.QueueArgs{FifoQueue: pulumi.Bool(true), VisibilityTimeoutSeconds: pulumi.Int(180), RedrivePolicy: redriveTo(dlq, "5")})
		mapping(ctx, "JobsMapping", q.Arn, function(ctx, "Worker", 30).Arn, true)
		return nil
	}, nil},
	{"a DLQ with a DLQ of its own at the maximum", func(ctx *pulumi.Context) error {
		last := queue(ctx, "Last", &sqs.QueueArgs{MessageRetentionSeconds: pulumi.Int(1209600)})
		dlq := queue(ctx, "JobsDlq", &sqs.QueueArgs{MessageRetentionSeconds: pulumi.Int(1209600), RedrivePolicy: redriveTo(last, "5")})
		q := queue(ctx, "Jobs", &sqs.QueueArgs{VisibilityTimeoutSeconds: pulumi.Int(180), RedrivePolicy: redriveTo(dlq, "5")})
		mapping(ctx, "JobsMapping", q.Arn, function(ctx, "Worker", 30).Arn, true)
		return nil
	}, nil},
	{"the mapping invokes an alias", func(ctx *pulumi.Context) error {
		q, _ := dlqPair(ctx, "Jobs", 180)
		fn := function(ctx, "Worker", 30)
		live := must(lambda.NewAlias(ctx, "Live", &lambda.AliasArgs{Name: pulumi.String("live"), FunctionName: fn.Name, FunctionVersion: pulumi.String("1")}))
		mapping(ctx, "JobsMapping", q.Arn, live.Arn, true)
		return nil
	}, nil},
	{"the mapping names the function", func(ctx *pulumi.Context) error {
		q, _ := dlqPair(ctx, "Jobs", 180)
		fn := function(ctx, "Worker", 30)
		mapping(ctx, "JobsMapping", q.Arn, fn.Name, true)
		return nil
	}, nil},
	{"topic fan-out to a queue", func(ctx *pulumi.Context) error {
		q, _ := worker(ctx, 30, 180)
		topic := must(sns.NewTopic(ctx, "Events", &sns.TopicArgs{KmsMasterKeyId: pulumi.String("alias/aws/sns")}))
		must(sqs.NewQueuePolicy(ctx, "JobsPolicy", &sqs.QueuePolicyArgs{QueueUrl: q.Url,
			Policy: pulumi.All(q.Arn, topic.Arn).ApplyT(func(a []any) string {
				return `{"Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"` + a[0].(string) +
					`","Condition":{"ArnEquals":{"aws:SourceArn":"` + a[1].(string) + `"}}},{"Effect":"Deny","Principal":"*","Action":"sqs:*","Resource":"` + a[0].(string) +
					`","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
			}).(pulumi.StringOutput)}))
		must(sns.NewTopicSubscription(ctx, "JobsSub", &sns.TopicSubscriptionArgs{Topic: topic.Arn, Protocol: pulumi.String("sqs"), Endpoint: q.Arn}))
		return nil
	}, nil},
	{"exact IAM on the stack's ARNs", func(ctx *pulumi.Context) error {
		q, _ := worker(ctx, 30, 180)
		must(iam.NewRolePolicy(ctx, "WorkerPolicy", &iam.RolePolicyArgs{Role: pulumi.String("team-dev-worker"),
			Policy: q.Arn.ApplyT(func(arn string) string {
				return `{"Statement":[{"Effect":"Allow","Action":["sqs:ReceiveMessage","sqs:DeleteMessage","sqs:GetQueueAttributes"],"Resource":"` + arn + `"}]}`
			}).(pulumi.StringOutput)}))
		return nil
	}, nil},
	{"AWSLambdaBasicExecutionRole attached", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		must(iam.NewRolePolicyAttachment(ctx, "Logs", &iam.RolePolicyAttachmentArgs{Role: pulumi.String("team-dev-worker"),
			PolicyArn: pulumi.String("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")}))
		return nil
	}, nil},
	{"the logs grant on the function's log group", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		rolePolicy(ctx, "Logs", `{"Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/team-dev-worker:*"}]}`)
		return nil
	}, nil},
	{"X-Ray on *", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		rolePolicy(ctx, "Traces", `{"Statement":{"Effect":"Allow","Action":["xray:PutTraceSegments","xray:PutTelemetryRecords"],"Resource":"*"}}`)
		return nil
	}, nil},
	{"a queue with no SSE setting", func(ctx *pulumi.Context) error { worker(ctx, 30, 180); queue(ctx, "Audit", nil); return nil }, nil},
	{"a queue with a KMS key", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		queue(ctx, "Audit", &sqs.QueueArgs{SqsManagedSseEnabled: pulumi.Bool(false), KmsMasterKeyId: pulumi.String("alias/team")})
		return nil
	}, nil},
	{"a rotating key", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		must(kms.NewKey(ctx, "Data", &kms.KeyArgs{EnableKeyRotation: pulumi.Bool(true)}))
		must(kms.NewKey(ctx, "Signing", &kms.KeyArgs{CustomerMasterKeySpec: pulumi.String("ECC_NIST_P256"), KeyUsage: pulumi.String("SIGN_VERIFY")}))
		return nil
	}, nil},
	{"names that carry the stack", func(ctx *pulumi.Context) error {
		dlq := queue(ctx, "JobsDlq", &sqs.QueueArgs{Name: pulumi.String("billing-dev-jobs-dlq"), MessageRetentionSeconds: pulumi.Int(1209600)})
		q := queue(ctx, "Jobs", &sqs.QueueArgs{Name: pulumi.String("billing-dev-jobs"), VisibilityTimeoutSeconds: pulumi.Int(180), RedrivePolicy: redriveTo(dlq, "5")})
		mapping(ctx, "JobsMapping", q.Arn, function(ctx, "Worker", 30).Arn, true)
		must(iam.NewRole(ctx, "Role", &iam.RoleArgs{Name: pulumi.String("billing-dev-eu-west-1-worker"), AssumeRolePolicy: pulumi.String(`{"Statement":[]}`)}))
		return nil
	}, nil},
	{"open to the organisation only", func(ctx *pulumi.Context) error {
		q, _ := worker(ctx, 30, 180)
		queuePolicy(ctx, "JobsPolicy", q, `{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"QUEUE","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}`)
		return nil
	}, nil},
	{"a Kinesis consumer beside the worker", func(ctx *pulumi.Context) error {
		_, fn := worker(ctx, 30, 180)
		mapping(ctx, "Stream", pulumi.String("arn:aws:kinesis:eu-west-1:123456789012:stream/clicks"), fn.Arn, false)
		return nil
	}, nil},

	// A bad stack passes no more.
	{"no DLQ", func(ctx *pulumi.Context) error {
		q := queue(ctx, "Jobs", &sqs.QueueArgs{VisibilityTimeoutSeconds: pulumi.Int(180)})
		mapping(ctx, "JobsMapping", q.Arn, function(ctx, "Worker", 30).Arn, true)
		return nil
	}, []string{"sqs-queue-has-dlq Jobs"}},
	{"a redrive policy that is not JSON", func(ctx *pulumi.Context) error {
		q := queue(ctx, "Jobs", &sqs.QueueArgs{VisibilityTimeoutSeconds: pulumi.Int(180), RedrivePolicy: pulumi.String("dlq=jobs-dlq,max=5")})
		mapping(ctx, "JobsMapping", q.Arn, function(ctx, "Worker", 30).Arn, true)
		return nil
	}, []string{"sqs-queue-has-dlq Jobs"}},
	{"a redrive policy without a target", func(ctx *pulumi.Context) error {
		q := queue(ctx, "Jobs", &sqs.QueueArgs{VisibilityTimeoutSeconds: pulumi.Int(180), RedrivePolicy: pulumi.String(`{"maxReceiveCount":5}`)})
		mapping(ctx, "JobsMapping", q.Arn, function(ctx, "Worker", 30).Arn, true)
		return nil
	}, []string{"sqs-queue-has-dlq Jobs"}},
	{"visibility below the function's timeout", func(ctx *pulumi.Context) error { worker(ctx, 60, 60); return nil },
		[]string{"sqs-visibility-timeout-ratio Jobs"}},
	{"visibility the default, the function 30 s", func(ctx *pulumi.Context) error { worker(ctx, 30, 0); return nil },
		[]string{"sqs-visibility-timeout-ratio Jobs"}},
	{"the batching window is not counted", func(ctx *pulumi.Context) error {
		q, _ := dlqPair(ctx, "Jobs", 180)
		must(lambda.NewEventSourceMapping(ctx, "JobsMapping", &lambda.EventSourceMappingArgs{EventSourceArn: q.Arn, FunctionName: function(ctx, "Worker", 30).Arn,
			MaximumBatchingWindowInSeconds: pulumi.Int(30), FunctionResponseTypes: pulumi.StringArray{pulumi.String("ReportBatchItemFailures")}}))
		return nil
	}, []string{"sqs-visibility-timeout-ratio Jobs"}},
	{"too short for a function behind an alias", func(ctx *pulumi.Context) error {
		q, _ := dlqPair(ctx, "Jobs", 180)
		fn := function(ctx, "Worker", 120)
		live := must(lambda.NewAlias(ctx, "Live", &lambda.AliasArgs{Name: pulumi.String("live"), FunctionName: fn.Name, FunctionVersion: pulumi.String("1")}))
		mapping(ctx, "JobsMapping", q.Arn, live.Arn, true)
		return nil
	}, []string{"sqs-visibility-timeout-ratio Jobs"}},
	{"too short for a function named literally", func(ctx *pulumi.Context) error {
		q, _ := dlqPair(ctx, "Jobs", 180)
		must(lambda.NewFunction(ctx, "Worker", &lambda.FunctionArgs{Name: pulumi.String("billing-dev-worker"), Runtime: pulumi.String("provided.al2023"),
			Handler: pulumi.String("bootstrap"), Role: pulumi.String("arn:aws:iam::123456789012:role/r"), Timeout: pulumi.Int(120),
			TracingConfig: lambda.FunctionTracingConfigArgs{Mode: pulumi.String("Active")}}))
		mapping(ctx, "JobsMapping", q.Arn, pulumi.String("billing-dev-worker"), true)
		return nil
	}, []string{"sqs-visibility-timeout-ratio Jobs"}},
	{"too short for a function named by a literal alias ARN", func(ctx *pulumi.Context) error {
		q, _ := dlqPair(ctx, "Jobs", 180)
		must(lambda.NewFunction(ctx, "Worker", &lambda.FunctionArgs{Name: pulumi.String("billing-dev-worker"), Runtime: pulumi.String("provided.al2023"),
			Handler: pulumi.String("bootstrap"), Role: pulumi.String("arn:aws:iam::123456789012:role/r"), Timeout: pulumi.Int(120),
			TracingConfig: lambda.FunctionTracingConfigArgs{Mode: pulumi.String("Active")}}))
		mapping(ctx, "JobsMapping", q.Arn, pulumi.String("arn:aws:lambda:eu-west-1:123456789012:function:billing-dev-worker:live"), true)
		return nil
	}, []string{"sqs-visibility-timeout-ratio Jobs"}},
	{"two functions on one queue, one too slow", func(ctx *pulumi.Context) error {
		q, _ := dlqPair(ctx, "Jobs", 200)
		mapping(ctx, "FastMapping", q.Arn, function(ctx, "Fast", 10).Arn, true)
		mapping(ctx, "SlowMapping", q.Arn, function(ctx, "Slow", 60).Arn, true)
		return nil
	}, []string{"sqs-visibility-timeout-ratio Jobs"}},
	{"no partial batch responses", func(ctx *pulumi.Context) error {
		q, _ := dlqPair(ctx, "Jobs", 180)
		mapping(ctx, "JobsMapping", q.Arn, function(ctx, "Worker", 30).Arn, false)
		return nil
	}, []string{"lambda-sqs-partial-batch JobsMapping"}},
	{"no partial batch on another team's queue", func(ctx *pulumi.Context) error {
		mapping(ctx, "SharedMapping", pulumi.String("arn:aws:sqs:eu-west-1:210987654321:shared-orders"), function(ctx, "Worker", 30).Arn, false)
		return nil
	}, []string{"lambda-sqs-partial-batch SharedMapping"}},
	{"a DLQ that keeps messages no longer", func(ctx *pulumi.Context) error {
		dlq := queue(ctx, "JobsDlq", nil)
		q := queue(ctx, "Jobs", &sqs.QueueArgs{VisibilityTimeoutSeconds: pulumi.Int(180), RedrivePolicy: redriveTo(dlq, "5")})
		mapping(ctx, "JobsMapping", q.Arn, function(ctx, "Worker", 30).Arn, true)
		return nil
	}, []string{"sqs-dlq-retention JobsDlq"}},
	{"SSE turned off", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		queue(ctx, "Audit", &sqs.QueueArgs{SqsManagedSseEnabled: pulumi.Bool(false)})
		return nil
	}, []string{"encryption-at-rest Audit"}},
	{"a topic without a key", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		must(sns.NewTopic(ctx, "Events", nil))
		return nil
	}, []string{"encryption-at-rest Events"}},
	{"a table without point-in-time recovery", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		must(dynamodb.NewTable(ctx, "Orders", &dynamodb.TableArgs{HashKey: pulumi.String("id"),
			Attributes: dynamodb.TableAttributeArray{dynamodb.TableAttributeArgs{Name: pulumi.String("id"), Type: pulumi.String("S")}}}))
		return nil
	}, []string{"dynamodb-pitr Orders"}},
	{"a table with point-in-time recovery and no SSE setting", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		must(dynamodb.NewTable(ctx, "Orders", &dynamodb.TableArgs{HashKey: pulumi.String("id"),
			Attributes:          dynamodb.TableAttributeArray{dynamodb.TableAttributeArgs{Name: pulumi.String("id"), Type: pulumi.String("S")}},
			PointInTimeRecovery: dynamodb.TablePointInTimeRecoveryArgs{Enabled: pulumi.Bool(true)}}))
		return nil
	}, nil},
	{"an alias named live and the function's log group", func(ctx *pulumi.Context) error {
		_, fn := worker(ctx, 30, 180)
		must(lambda.NewAlias(ctx, "Live", &lambda.AliasArgs{Name: pulumi.String("live"), FunctionName: fn.Name, FunctionVersion: pulumi.String("1")}))
		must(cloudwatch.NewLogGroup(ctx, "WorkerLogs", &cloudwatch.LogGroupArgs{RetentionInDays: pulumi.Int(14),
			Name: fn.Name.ApplyT(func(n string) string { return "/aws/lambda/" + n }).(pulumi.StringOutput)}))
		return nil
	}, nil},
	{"a DLQ alarm of metric queries", func(ctx *pulumi.Context) error {
		_, dlq := dlqPair(ctx, "Jobs", 180)
		mapping(ctx, "JobsMapping", queue(ctx, "Other", nil).Arn, function(ctx, "Worker", 30).Arn, true)
		must(cloudwatch.NewMetricAlarm(ctx, "DlqAlarm", &cloudwatch.MetricAlarmArgs{ComparisonOperator: pulumi.String("GreaterThanOrEqualToThreshold"),
			EvaluationPeriods: pulumi.Int(1), Threshold: pulumi.Float64(1),
			MetricQueries: cloudwatch.MetricAlarmMetricQueryArray{cloudwatch.MetricAlarmMetricQueryArgs{Id: pulumi.String("m"), ReturnData: pulumi.Bool(true),
				Metric: cloudwatch.MetricAlarmMetricQueryMetricArgs{Namespace: pulumi.String("AWS/SQS"), MetricName: pulumi.String("ApproximateNumberOfMessagesVisible"),
					Period: pulumi.Int(60), Stat: pulumi.String("Maximum"), Dimensions: pulumi.StringMap{"QueueName": dlq.Name}}}}}))
		return nil
	}, []string{"sqs-queue-has-dlq Other", "sqs-visibility-timeout-ratio Other"}},
	{"a wildcard action", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		rolePolicy(ctx, "Wide", `{"Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:eu-west-1:123456789012:jobs"}]}`)
		return nil
	}, []string{"iam-least-privilege Wide"}},
	{"every queue of every account", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		rolePolicy(ctx, "Wide", `{"Statement":[{"Effect":"Allow","Action":["sqs:SendMessage"],"Resource":"arn:aws:sqs:*:*:*"}]}`)
		return nil
	}, []string{"iam-least-privilege Wide"}},
	{"every table", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		rolePolicy(ctx, "Wide", `{"Statement":[{"Effect":"Allow","Action":["dynamodb:PutItem"],"Resource":["arn:aws:dynamodb:eu-west-1:123456789012:table/*"]}]}`)
		return nil
	}, []string{"iam-least-privilege Wide"}},
	{"NotAction", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		rolePolicy(ctx, "Wide", `{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"arn:aws:s3:::bucket"}]}`)
		return nil
	}, []string{"iam-least-privilege Wide"}},
	{"AdministratorAccess in managedPolicyArns", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		must(iam.NewRole(ctx, "Admin", &iam.RoleArgs{AssumeRolePolicy: pulumi.String(`{"Statement":[]}`),
			ManagedPolicyArns: pulumi.StringArray{pulumi.String("arn:aws:iam::aws:policy/AdministratorAccess")}}))
		return nil
	}, []string{"iam-least-privilege Admin"}},
	{"AmazonSQSFullAccess attached", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		must(iam.NewRolePolicyAttachment(ctx, "Sqs", &iam.RolePolicyAttachmentArgs{Role: pulumi.String("team-dev-worker"),
			PolicyArn: pulumi.String("arn:aws:iam::aws:policy/AmazonSQSFullAccess")}))
		return nil
	}, []string{"iam-least-privilege Sqs"}},
	{"PowerUserAccess on a group", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		must(iam.NewGroupPolicyAttachment(ctx, "Devs", &iam.GroupPolicyAttachmentArgs{Group: pulumi.String("devs"),
			PolicyArn: pulumi.String("arn:aws:iam::aws:policy/PowerUserAccess")}))
		return nil
	}, []string{"iam-least-privilege Devs"}},
	{"a user's inline policy with *", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		must(iam.NewUserPolicy(ctx, "Ci", &iam.UserPolicyArgs{User: pulumi.String("ci"), Policy: pulumi.String(`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}))
		return nil
	}, []string{"iam-least-privilege Ci"}},
	{"a managed policy of the stack with *", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		must(iam.NewPolicy(ctx, "Broad", &iam.PolicyArgs{Policy: pulumi.String(`{"Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*"}]}`)}))
		return nil
	}, []string{"iam-least-privilege Broad"}},
	{"a queue open to everyone", func(ctx *pulumi.Context) error {
		q, _ := worker(ctx, 30, 180)
		queuePolicy(ctx, "JobsPolicy", q, `{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"QUEUE"}`)
		return nil
	}, []string{"sqs-sns-no-public-policy JobsPolicy"}},
	{"a topic open to every account", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		must(sns.NewTopic(ctx, "Events", &sns.TopicArgs{KmsMasterKeyId: pulumi.String("alias/aws/sns"),
			Policy: pulumi.String(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sns:Publish","Resource":"*"}]}`)}))
		return nil
	}, []string{"sqs-sns-no-public-policy Events"}},
	{"SNS may send from any topic", func(ctx *pulumi.Context) error {
		q, _ := worker(ctx, 30, 180)
		queuePolicy(ctx, "JobsPolicy", q, `{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"QUEUE"}`)
		return nil
	}, []string{"sqs-sns-queue-policy-scoped JobsPolicy"}},
	{"SNS may send from topics matching *", func(ctx *pulumi.Context) error {
		q, _ := worker(ctx, 30, 180)
		queuePolicy(ctx, "JobsPolicy", q, `{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"QUEUE","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}}`)
		return nil
	}, []string{"sqs-sns-queue-policy-scoped JobsPolicy"}},
	{"a key that does not rotate", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		must(kms.NewKey(ctx, "Data", &kms.KeyArgs{Description: pulumi.String("team data")}))
		return nil
	}, []string{"kms-key-rotation Data"}},
	{"a name without the stack", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		queue(ctx, "Audit", &sqs.QueueArgs{Name: pulumi.String("audit-events")})
		return nil
	}, []string{"stack-scoped-names Audit"}},
	{"the stack's name inside another word", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		queue(ctx, "Devices", &sqs.QueueArgs{Name: pulumi.String("device-events")})
		return nil
	}, []string{"stack-scoped-names Devices"}},
	{"a role named per stack, not per region", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		must(iam.NewRole(ctx, "Role", &iam.RoleArgs{Name: pulumi.String("billing-dev-worker"), AssumeRolePolicy: pulumi.String(`{"Statement":[]}`)}))
		return nil
	}, []string{"stack-scoped-names Role"}},
	{"a dashboard named per stack, not per region", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		must(cloudwatch.NewDashboard(ctx, "Board", &cloudwatch.DashboardArgs{DashboardName: pulumi.String("billing-dev"), DashboardBody: pulumi.String(`{"widgets":[]}`)}))
		return nil
	}, []string{"stack-scoped-names Board"}},
	{"several faults at once", func(ctx *pulumi.Context) error {
		q := queue(ctx, "Jobs", &sqs.QueueArgs{VisibilityTimeoutSeconds: pulumi.Int(30), SqsManagedSseEnabled: pulumi.Bool(false)})
		mapping(ctx, "JobsMapping", q.Arn, function(ctx, "Worker", 30).Arn, false)
		return nil
	}, []string{"encryption-at-rest Jobs", "lambda-sqs-partial-batch JobsMapping", "sqs-queue-has-dlq Jobs", "sqs-visibility-timeout-ratio Jobs"}},
	{"a FIFO queue without a DLQ", func(ctx *pulumi.Context) error {
		q := queue(ctx, "Jobs", &sqs.QueueArgs{FifoQueue: pulumi.Bool(true), VisibilityTimeoutSeconds: pulumi.Int(180)})
		mapping(ctx, "JobsMapping", q.Arn, function(ctx, "Worker", 30).Arn, true)
		return nil
	}, []string{"sqs-queue-has-dlq Jobs"}},
	{"a redrive resource without a target", func(ctx *pulumi.Context) error {
		q := queue(ctx, "Jobs", &sqs.QueueArgs{VisibilityTimeoutSeconds: pulumi.Int(180)})
		must(sqs.NewRedrivePolicy(ctx, "JobsRedrive", &sqs.RedrivePolicyArgs{QueueUrl: q.Url, RedrivePolicy: pulumi.String(`{"maxReceiveCount":"3"}`)}))
		mapping(ctx, "JobsMapping", q.Arn, function(ctx, "Worker", 30).Arn, true)
		return nil
	}, []string{"sqs-queue-has-dlq Jobs"}},
	{"a redrive policy with maxReceiveCount in words", func(ctx *pulumi.Context) error {
		dlq := queue(ctx, "JobsDlq", &sqs.QueueArgs{MessageRetentionSeconds: pulumi.Int(1209600)})
		q := queue(ctx, "Jobs", &sqs.QueueArgs{VisibilityTimeoutSeconds: pulumi.Int(180), RedrivePolicy: redriveTo(dlq, `"five"`)})
		mapping(ctx, "JobsMapping", q.Arn, function(ctx, "Worker", 30).Arn, true)
		return nil
	}, []string{"sqs-queue-has-dlq Jobs"}},
	{"two mappings, one without partial batches", func(ctx *pulumi.Context) error {
		a, _ := dlqPair(ctx, "Orders", 180)
		b, _ := dlqPair(ctx, "Refunds", 180)
		fn := function(ctx, "Worker", 30)
		mapping(ctx, "OrdersMapping", a.Arn, fn.Arn, true)
		mapping(ctx, "RefundsMapping", b.Arn, fn.Arn, false)
		return nil
	}, []string{"lambda-sqs-partial-batch RefundsMapping"}},
	// The logs actions take log-group and log-stream ARNs (Service
	// Authorization Reference), so on "*" they grant every log group: an
	// every-resource grant written out, though attaching
	// AWSLambdaBasicExecutionRole, which grants no whole service, passes.
	{"AWSLambdaBasicExecutionRole written out", func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		rolePolicy(ctx, "Logs", `{"Statement":[{"Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`)
		return nil
	}, []string{"iam-least-privilege Logs"}},
	{"a wildcard ARN beside exact ones", func(ctx *pulumi.Context) error {
		q, _ := worker(ctx, 30, 180)
		must(iam.NewRolePolicy(ctx, "Mixed", &iam.RolePolicyArgs{Role: pulumi.String("team-dev-worker"),
			Policy: q.Arn.ApplyT(func(arn string) string {
				return `{"Statement":[{"Effect":"Allow","Action":"sqs:ReceiveMessage","Resource":"` + arn + `"},{"Effect":"Allow","Action":"sns:Publish","Resource":"arn:aws:sns:eu-west-1:123456789012:*"}]}`
			}).(pulumi.StringOutput)}))
		return nil
	}, []string{"iam-least-privilege Mixed"}},
}
