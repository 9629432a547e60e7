package stack

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orderpipe/orderpipe/function"
	"github.com/orderpipe/orderpipe/spec"
)

// PipelineType is the type token of the OrderPipeline component.
const PipelineType = "orderpipe:index:OrderPipeline"

// PipelineArgs are the inputs of the OrderPipeline component.
type PipelineArgs struct {
	Config spec.Config
	Names  spec.Namer
	// Code is the function's deployment archive (see GoBuild).
	Code pulumi.Archive
	// Tags are added to every taggable resource's project, stack and
	// managed-by tags.
	Tags map[string]string
}

// Pipeline is the whole order pipeline of one stack: SNS topic → SQS queue
// (with its dead-letter queue) → Lambda → DynamoDB, plus its logs, alarms and
// dashboard.
type Pipeline struct {
	pulumi.ResourceState

	TopicArn pulumi.StringOutput
	QueueURL pulumi.StringOutput
	QueueArn pulumi.StringOutput
	DLQURL   pulumi.StringOutput
	DLQArn   pulumi.StringOutput
	// SubscriptionDLQURL is the queue of what SNS could not deliver to
	// OrderQueue.
	SubscriptionDLQURL pulumi.StringOutput
	TableName          pulumi.StringOutput
	FunctionName       pulumi.StringOutput
	AlarmTopicArn      pulumi.StringOutput
	DashboardName      pulumi.StringOutput
}

// NewPipeline declares every resource of the pipeline as children of one
// component.
func NewPipeline(ctx *pulumi.Context, name string, args PipelineArgs, opts ...pulumi.ResourceOption) (*Pipeline, error) {
	p := &Pipeline{}
	if args.Config.DeletionProtection {
		// Every resource inherits the protection. Pulumi deletes the
		// unprotected resources of a destroy before it reaches a protected
		// one: with only the table protected, `pulumi destroy` would delete
		// the queues, the topic and the messages in them, then stop.
		opts = append(opts, pulumi.Protect(true))
	}
	if err := ctx.RegisterComponentResource(PipelineType, name, p, opts...); err != nil {
		return nil, fmt.Errorf("register %s: %w", PipelineType, err)
	}
	tags := pulumi.StringMap{}
	for k, v := range args.Tags {
		tags[k] = pulumi.String(v)
	}
	tags[spec.TagProject] = pulumi.String(args.Names.Project)
	tags[spec.TagStack] = pulumi.String(args.Names.Stack)
	tags[spec.TagManagedBy] = pulumi.String("pulumi")
	b := builder{ctx: ctx, cfg: args.Config, names: args.Names, parent: pulumi.Parent(p), tags: tags}
	if err := b.build(p, args.Code); err != nil {
		return nil, err
	}
	outputs := pulumi.Map{}
	for k, v := range p.Outputs() {
		outputs[k] = v
	}
	if err := ctx.RegisterResourceOutputs(p, outputs); err != nil {
		return nil, fmt.Errorf("register outputs of %s: %w", name, err)
	}
	return p, nil
}

// Outputs are the pipeline's stack outputs by name: what operators, the
// smoke test and ephemeral environments read back.
func (p *Pipeline) Outputs() map[string]pulumi.StringOutput {
	return map[string]pulumi.StringOutput{
		spec.OutputTopicArn:           p.TopicArn,
		spec.OutputQueueURL:           p.QueueURL,
		spec.OutputDLQURL:             p.DLQURL,
		spec.OutputSubscriptionDLQURL: p.SubscriptionDLQURL,
		spec.OutputTableName:          p.TableName,
		spec.OutputFunctionName:       p.FunctionName,
		spec.OutputAlarmTopicArn:      p.AlarmTopicArn,
		spec.OutputDashboardName:      p.DashboardName,
	}
}

// builder carries what every resource of the pipeline shares.
type builder struct {
	ctx    *pulumi.Context
	cfg    spec.Config
	names  spec.Namer
	parent pulumi.ResourceOrInvokeOption
	tags   pulumi.StringMap
}

func (b builder) opts(more ...pulumi.ResourceOption) []pulumi.ResourceOption {
	return append([]pulumi.ResourceOption{b.parent}, more...)
}

func (b builder) name(svc spec.Service, logical string) pulumi.String {
	return pulumi.String(b.names.Name(svc, logical))
}

// wrap names the resource that failed to register.
func wrap(logical string, err error) error {
	return fmt.Errorf("declare %s: %w", logical, err)
}

func (b builder) build(p *Pipeline, code pulumi.Archive) error {
	ctx, cfg := b.ctx, b.cfg
	account := aws.GetCallerIdentityOutput(ctx, aws.GetCallerIdentityOutputArgs{}, b.parent)
	partition := aws.GetPartitionOutput(ctx, aws.GetPartitionOutputArgs{}, b.parent)
	region := aws.GetRegionOutput(ctx, aws.GetRegionOutputArgs{}, b.parent)

	globalName := func(svc spec.Service, logical string) pulumi.StringOutput {
		return region.Name().ApplyT(func(r string) string { return b.names.Global(svc, r, logical) }).(pulumi.StringOutput)
	}

	// With deletion protection the table is protected (from the component)
	// and also retained: should it ever leave the stack, it stays in the
	// account with its orders.
	tableOpts := b.opts()
	if cfg.DeletionProtection {
		tableOpts = b.opts(pulumi.RetainOnDelete(true))
	}
	table, err := dynamodb.NewTable(ctx, spec.TableName, &dynamodb.TableArgs{
		Name:                      b.name(spec.DynamoDB, spec.TableName),
		BillingMode:               pulumi.String("PAY_PER_REQUEST"),
		HashKey:                   pulumi.String("orderId"),
		Attributes:                dynamodb.TableAttributeArray{dynamodb.TableAttributeArgs{Name: pulumi.String("orderId"), Type: pulumi.String("S")}},
		PointInTimeRecovery:       dynamodb.TablePointInTimeRecoveryArgs{Enabled: pulumi.Bool(true)},
		ServerSideEncryption:      dynamodb.TableServerSideEncryptionArgs{Enabled: pulumi.Bool(true)},
		DeletionProtectionEnabled: pulumi.Bool(cfg.DeletionProtection),
		Tags:                      b.tags,
	}, tableOpts...)
	if err != nil {
		return wrap(spec.TableName, err)
	}

	// Producers publish with their own IAM permissions; the AWS managed key
	// asks nothing more of them than sns:Publish.
	topic, err := sns.NewTopic(ctx, spec.TopicName, &sns.TopicArgs{
		Name:           b.name(spec.SNS, spec.TopicName),
		KmsMasterKeyId: pulumi.String("alias/aws/sns"),
		Tags:           b.tags,
	}, b.opts()...)
	if err != nil {
		return wrap(spec.TopicName, err)
	}

	// Both queues take what SNS can deliver, 256 KiB, and no more: the
	// handler forwards a poison message with its reason only while the two
	// fit in that (function.MaxMessageBytes).
	dlq, err := sqs.NewQueue(ctx, spec.DLQName, &sqs.QueueArgs{
		Name:                    b.name(spec.SQS, spec.DLQName),
		MaxMessageSize:          pulumi.Int(function.MaxMessageBytes),
		MessageRetentionSeconds: pulumi.Int(cfg.DLQRetention),
		SqsManagedSseEnabled:    pulumi.Bool(true),
		Tags:                    b.tags,
	}, b.opts()...)
	if err != nil {
		return wrap(spec.DLQName, err)
	}

	queue, err := sqs.NewQueue(ctx, spec.QueueName, &sqs.QueueArgs{
		Name:                     b.name(spec.SQS, spec.QueueName),
		VisibilityTimeoutSeconds: pulumi.Int(cfg.VisibilityTimeout()),
		MaxMessageSize:           pulumi.Int(function.MaxMessageBytes),
		MessageRetentionSeconds:  pulumi.Int(cfg.QueueRetention),
		ReceiveWaitTimeSeconds:   pulumi.Int(20),
		SqsManagedSseEnabled:     pulumi.Bool(true),
		RedrivePolicy: dlq.Arn.ApplyT(func(arn string) (string, error) {
			return spec.RedrivePolicy(arn, cfg.MaxReceiveCount)
		}).(pulumi.StringOutput),
		Tags: b.tags,
	}, b.opts()...)
	if err != nil {
		return wrap(spec.QueueName, err)
	}

	// The DLQ admits only OrderQueue. It is a resource of its own because the
	// queue's redrive policy already needs the DLQ's ARN: set on the DLQ
	// itself, the two queues would depend on each other.
	if _, err := sqs.NewRedriveAllowPolicy(ctx, spec.DLQName+"RedriveAllow", &sqs.RedriveAllowPolicyArgs{
		QueueUrl: dlq.Url,
		RedriveAllowPolicy: queue.Arn.ApplyT(func(arn string) (string, error) {
			return marshal(redriveAllowPolicy{RedrivePermission: "byQueue", SourceQueueArns: []string{arn}})
		}).(pulumi.StringOutput),
	}, b.opts()...); err != nil {
		return wrap(spec.DLQName+"RedriveAllow", err)
	}

	queuePolicy, err := sqs.NewQueuePolicy(ctx, spec.QueueName+"Policy", &sqs.QueuePolicyArgs{
		QueueUrl: queue.Url,
		Policy: pulumi.All(queue.Arn, topic.Arn).ApplyT(func(a []any) string {
			return queueSendPolicy(a[0].(string), a[1].(string)).String()
		}).(pulumi.StringOutput),
	}, b.opts()...)
	if err != nil {
		return wrap(spec.QueueName+"Policy", err)
	}

	subDLQ, subDLQPolicy, err := b.subscriptionDLQ(account, partition, topic.Arn)
	if err != nil {
		return err
	}

	// The subscription waits for both queue policies: SNS confirms an SQS
	// subscription by delivering to it, and a delivery it cannot redrive
	// to its dead-letter queue is lost.
	if _, err := sns.NewTopicSubscription(ctx, spec.QueueName+"Subscription", &sns.TopicSubscriptionArgs{
		Topic:              topic.Arn,
		Protocol:           pulumi.String("sqs"),
		Endpoint:           queue.Arn,
		RawMessageDelivery: pulumi.Bool(cfg.RawMessageDelivery),
		RedrivePolicy: subDLQ.Arn.ApplyT(func(arn string) (string, error) {
			return marshal(subscriptionRedrivePolicy{DeadLetterTargetArn: arn})
		}).(pulumi.StringOutput),
	}, b.opts(pulumi.DependsOn([]pulumi.Resource{queuePolicy, subDLQPolicy}))...); err != nil {
		return wrap(spec.QueueName+"Subscription", err)
	}

	fnName := b.names.Name(spec.Lambda, spec.FunctionName)
	// Created before the function so that Lambda never creates it first
	// without a retention.
	logGroup, err := cloudwatch.NewLogGroup(ctx, spec.FunctionName+"Logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/lambda/" + fnName),
		RetentionInDays: pulumi.Int(cfg.LogRetentionDays),
		Tags:            b.tags,
	}, b.opts()...)
	if err != nil {
		return wrap(spec.FunctionName+"Logs", err)
	}

	roleArgs := &iam.RoleArgs{
		Name:             globalName(spec.IAMRole, spec.RoleName),
		AssumeRolePolicy: pulumi.String(lambdaTrustPolicy().String()),
		Tags:             b.tags,
	}
	if cfg.PermissionsBoundary != "" {
		roleArgs.PermissionsBoundary = pulumi.String(cfg.PermissionsBoundary)
	}
	role, err := iam.NewRole(ctx, spec.RoleName, roleArgs, b.opts()...)
	if err != nil {
		return wrap(spec.RoleName, err)
	}
	rolePolicy, err := iam.NewRolePolicy(ctx, spec.RoleName+"Policy", &iam.RolePolicyArgs{
		Role: role.Name,
		Policy: pulumi.All(table.Arn, queue.Arn, dlq.Arn, logGroup.Arn).ApplyT(func(a []any) string {
			return functionPolicy(a[0].(string), a[1].(string), a[2].(string), a[3].(string), cfg.Tracing).String()
		}).(pulumi.StringOutput),
	}, b.opts()...)
	if err != nil {
		return wrap(spec.RoleName+"Policy", err)
	}

	fn, err := lambda.NewFunction(ctx, spec.FunctionName, &lambda.FunctionArgs{
		Name:          pulumi.String(fnName),
		Runtime:       lambda.RuntimeCustomAL2023,
		Handler:       pulumi.String("bootstrap"),
		Architectures: pulumi.StringArray{pulumi.String(cfg.Architecture)},
		Code:          code,
		Role:          role.Arn,
		Timeout:       pulumi.Int(cfg.LambdaTimeout),
		MemorySize:    pulumi.Int(cfg.LambdaMemory),
		Environment: lambda.FunctionEnvironmentArgs{Variables: pulumi.StringMap{
			function.EnvTable:       table.Name,
			function.EnvDLQURL:      dlq.Url,
			function.EnvLogLevel:    pulumi.String(cfg.LogLevel),
			function.EnvConcurrency: pulumi.String(strconv.Itoa(cfg.HandlerConcurrency)),
		}},
		// The handler filters its own lines by LOG_LEVEL. Lambda must filter
		// none: it gives a line without a level (the EMF metric lines, an
		// init failure) the level INFO, and would drop them at warn or error.
		LoggingConfig: lambda.FunctionLoggingConfigArgs{
			LogFormat:           pulumi.String("JSON"),
			LogGroup:            logGroup.Name,
			ApplicationLogLevel: pulumi.String(LambdaApplicationLogLevel),
			SystemLogLevel:      pulumi.String("INFO"),
		},
		TracingConfig: lambda.FunctionTracingConfigArgs{Mode: pulumi.String(tracingMode(cfg.Tracing))},
		Tags:          b.tags,
	}, b.opts(pulumi.DependsOn([]pulumi.Resource{logGroup, rolePolicy}))...)
	if err != nil {
		return wrap(spec.FunctionName, err)
	}

	// The mapping polls as soon as it exists, so it waits for the role's
	// permissions on the queue.
	if _, err := lambda.NewEventSourceMapping(ctx, spec.QueueName+"Mapping", &lambda.EventSourceMappingArgs{
		EventSourceArn:                 queue.Arn,
		FunctionName:                   fn.Arn,
		BatchSize:                      pulumi.Int(cfg.BatchSize),
		MaximumBatchingWindowInSeconds: pulumi.Int(cfg.BatchWindow),
		FunctionResponseTypes:          pulumi.StringArray{pulumi.String("ReportBatchItemFailures")},
		ScalingConfig:                  lambda.EventSourceMappingScalingConfigArgs{MaximumConcurrency: pulumi.Int(cfg.MaxConcurrency)},
		Tags:                           b.tags,
	}, b.opts(pulumi.DependsOn([]pulumi.Resource{rolePolicy}))...); err != nil {
		return wrap(spec.QueueName+"Mapping", err)
	}

	alarmTopic, err := b.alarmTopic(account, partition)
	if err != nil {
		return err
	}
	if err := b.alarms(alarmTopic.Arn, watched{queue: queue.Name, dlq: dlq.Name, subscriptionDLQ: subDLQ.Name, topic: topic.Name, function: fn.Name}); err != nil {
		return err
	}
	dashboard, err := cloudwatch.NewDashboard(ctx, spec.DashboardName, &cloudwatch.DashboardArgs{
		DashboardName: globalName(spec.CloudWatch, spec.DashboardName),
		DashboardBody: pulumi.All(region.Name(), queue.Name, dlq.Name, subDLQ.Name, topic.Name, fn.Name, table.Name).ApplyT(func(a []any) (string, error) {
			return dashboardBody(a[0].(string), dashboardNames{queue: a[1].(string), dlq: a[2].(string), subscriptionDLQ: a[3].(string),
				topic: a[4].(string), function: a[5].(string), table: a[6].(string)})
		}).(pulumi.StringOutput),
	}, b.opts()...)
	if err != nil {
		return wrap(spec.DashboardName, err)
	}

	p.TopicArn, p.QueueURL, p.QueueArn = topic.Arn, queue.Url, queue.Arn
	p.DLQURL, p.DLQArn, p.TableName = dlq.Url, dlq.Arn, table.Name
	p.SubscriptionDLQURL = subDLQ.Url
	p.FunctionName, p.AlarmTopicArn, p.DashboardName = fn.Name, alarmTopic.Arn, dashboard.DashboardName
	return nil
}

// alarmTopic declares the topic that alarms notify. CloudWatch cannot use the
// AWS managed SNS key, so this topic is encrypted with a key of its own whose
// policy admits CloudWatch from this account.
func (b builder) alarmTopic(account aws.GetCallerIdentityResultOutput, partition aws.GetPartitionResultOutput) (*sns.Topic, error) {
	ctx := b.ctx
	key, err := kms.NewKey(ctx, spec.AlarmTopicName+"Key", &kms.KeyArgs{
		Description:          pulumi.String("Encrypts " + b.names.Name(spec.SNS, spec.AlarmTopicName)),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(7),
		Policy: pulumi.All(account.AccountId(), partition.Partition()).ApplyT(func(a []any) string {
			return alarmKeyPolicy(a[0].(string), a[1].(string)).String()
		}).(pulumi.StringOutput),
		Tags: b.tags,
	}, b.opts()...)
	if err != nil {
		return nil, wrap(spec.AlarmTopicName+"Key", err)
	}
	topic, err := sns.NewTopic(ctx, spec.AlarmTopicName, &sns.TopicArgs{
		Name:           b.name(spec.SNS, spec.AlarmTopicName),
		KmsMasterKeyId: key.Arn,
		Tags:           b.tags,
	}, b.opts()...)
	if err != nil {
		return nil, wrap(spec.AlarmTopicName, err)
	}
	if b.cfg.AlarmEmail != "" {
		if _, err := sns.NewTopicSubscription(ctx, spec.AlarmTopicName+"Email", &sns.TopicSubscriptionArgs{
			Topic:    topic.Arn,
			Protocol: pulumi.String("email"),
			Endpoint: pulumi.String(b.cfg.AlarmEmail),
		}, b.opts()...); err != nil {
			return nil, wrap(spec.AlarmTopicName+"Email", err)
		}
	}
	return topic, nil
}

// watched are the names of what the alarms watch.
type watched struct {
	queue, dlq, subscriptionDLQ, topic, function pulumi.StringOutput
}

// alarms declares the alarms an operator of the pipeline must hear about: a
// message in either dead-letter queue, a delivery SNS gave up on (and one it
// could not even put in the subscription's dead-letter queue, which is
// lost), a function error, and a backlog that ages.
func (b builder) alarms(topicArn pulumi.StringOutput, w watched) error {
	actions := pulumi.Array{topicArn}
	specs := []struct {
		logical, description, namespace, metric, statistic, comparison string
		dimensions                                                     pulumi.StringMap
		threshold                                                      float64
		periods                                                        int
	}{
		{spec.DLQAlarmName, "A message reached the dead-letter queue: an order was rejected or failed every retry.",
			"AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", "GreaterThanOrEqualToThreshold",
			pulumi.StringMap{"QueueName": w.dlq}, 1, 1},
		{spec.SubscriptionDLQAlarmName, "SNS could not deliver an order to OrderQueue and put it in the subscription's dead-letter queue: redrive it with `orderpipe dlq redrive` once the cause is fixed.",
			"AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", "GreaterThanOrEqualToThreshold",
			pulumi.StringMap{"QueueName": w.subscriptionDLQ}, 1, 1},
		{spec.DeliveryFailedAlarmName, "SNS gave up delivering a notification of OrderTopic (the queue's policy or key refused it, or it is gone).",
			"AWS/SNS", "NumberOfNotificationsFailed", "Sum", "GreaterThanOrEqualToThreshold",
			pulumi.StringMap{"TopicName": w.topic}, 1, 1},
		{spec.RedriveFailedAlarmName, "SNS could not put an undeliverable notification of OrderTopic in the subscription's dead-letter queue: that order is lost.",
			"AWS/SNS", "NumberOfNotificationsFailedToRedriveToDlq", "Sum", "GreaterThanOrEqualToThreshold",
			pulumi.StringMap{"TopicName": w.topic}, 1, 1},
		{spec.ErrorsAlarmName, "ProcessOrderLambda failed a whole invocation.",
			"AWS/Lambda", "Errors", "Sum", "GreaterThanOrEqualToThreshold",
			pulumi.StringMap{"FunctionName": w.function}, 1, 1},
		{spec.QueueAgeAlarmName, fmt.Sprintf("The oldest order has waited more than %ds in the queue: the function falls behind or keeps failing.", b.cfg.QueueAgeAlarm),
			"AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum", "GreaterThanThreshold",
			pulumi.StringMap{"QueueName": w.queue}, float64(b.cfg.QueueAgeAlarm), 3},
	}
	for _, s := range specs {
		if _, err := cloudwatch.NewMetricAlarm(b.ctx, s.logical, &cloudwatch.MetricAlarmArgs{
			Name:               b.name(spec.CloudWatch, s.logical),
			AlarmDescription:   pulumi.String(s.description),
			Namespace:          pulumi.String(s.namespace),
			MetricName:         pulumi.String(s.metric),
			Dimensions:         s.dimensions,
			Statistic:          pulumi.String(s.statistic),
			Period:             pulumi.Int(60),
			EvaluationPeriods:  pulumi.Int(s.periods),
			Threshold:          pulumi.Float64(s.threshold),
			ComparisonOperator: pulumi.String(s.comparison),
			TreatMissingData:   pulumi.String("notBreaching"),
			AlarmActions:       actions,
			OkActions:          actions,
			Tags:               b.tags,
		}, b.opts()...); err != nil {
			return wrap(s.logical, err)
		}
	}
	return nil
}

// LambdaApplicationLogLevel is the function's application log level: the
// lowest, so that Lambda drops nothing the handler writes.
const LambdaApplicationLogLevel = "TRACE"

func tracingMode(active bool) string {
	if active {
		return "Active"
	}
	return "PassThrough"
}

type redriveAllowPolicy struct {
	RedrivePermission string   `json:"redrivePermission"`
	SourceQueueArns   []string `json:"sourceQueueArns"`
}

func marshal(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// queueSendPolicy lets SNS deliver to the queue, but only from the order
// topic: without the SourceArn condition any topic in any account could. And
// nobody may use the queue without TLS.
func queueSendPolicy(queueArn, topicArn string) PolicyDocument {
	return policy(Statement{
		Sid:       "AllowOrderTopic",
		Effect:    "Allow",
		Principal: map[string]string{"Service": "sns.amazonaws.com"},
		Action:    []string{"sqs:SendMessage"},
		Resource:  []string{queueArn},
		Condition: map[string]map[string]string{"ArnEquals": {"aws:SourceArn": topicArn}},
	}, Statement{
		Sid:       "DenyInsecureTransport",
		Effect:    "Deny",
		Principal: map[string]string{"AWS": "*"},
		Action:    []string{"sqs:*"},
		Resource:  []string{queueArn},
		Condition: map[string]map[string]string{"Bool": {"aws:SecureTransport": "false"}},
	})
}

// alarmKeyPolicy is the key policy of the alarm topic's key: the account
// administers it through IAM, and CloudWatch from this account may encrypt
// notifications with it.
func alarmKeyPolicy(accountID, partition string) PolicyDocument {
	return keyPolicy(accountID, partition, Statement{
		Sid:       "CloudWatchAlarmsPublish",
		Principal: map[string]string{"Service": "cloudwatch.amazonaws.com"},
		Condition: map[string]map[string]string{"StringEquals": {"aws:SourceAccount": accountID}},
	})
}

// subscriptionDLQKeyPolicy is the key policy of the subscription DLQ's key:
// the account administers it through IAM (operators read the queue with
// their IAM permissions), and SNS may encrypt with it only for the order
// topic. SNS cannot use SQS's AWS managed key, whose policy nobody can
// change.
func subscriptionDLQKeyPolicy(accountID, partition, topicArn string) PolicyDocument {
	return keyPolicy(accountID, partition, Statement{
		Sid:       "OrderTopicRedrives",
		Principal: map[string]string{"Service": "sns.amazonaws.com"},
		Condition: map[string]map[string]string{"ArnEquals": {"aws:SourceArn": topicArn}},
	})
}

// keyPolicy lets the account administer a key through IAM and lets one
// service (principal and condition from user) encrypt with it.
func keyPolicy(accountID, partition string, user Statement) PolicyDocument {
	user.Effect = "Allow"
	user.Action = []string{"kms:Decrypt", "kms:GenerateDataKey*"}
	user.Resource = []string{"*"}
	return policy(
		Statement{
			Sid:       "AccountAdministers",
			Effect:    "Allow",
			Principal: map[string]string{"AWS": fmt.Sprintf("arn:%s:iam::%s:root", partition, accountID)},
			Action:    []string{"kms:*"},
			Resource:  []string{"*"},
		},
		user,
	)
}

// subscriptionRedrivePolicy is an SNS subscription's RedrivePolicy.
type subscriptionRedrivePolicy struct {
	DeadLetterTargetArn string `json:"deadLetterTargetArn"`
}

// subscriptionDLQ declares the queue SNS puts what it cannot deliver to
// OrderQueue in (a delivery its policy or key refuses, or one that fails
// every retry): without it SNS drops the message. Encrypted with a key of
// its own, as SNS requires of an encrypted subscription DLQ; only the order
// topic may send to it. It returns the queue and its policy, which the
// subscription waits for.
func (b builder) subscriptionDLQ(account aws.GetCallerIdentityResultOutput, partition aws.GetPartitionResultOutput, topicArn pulumi.StringOutput) (*sqs.Queue, *sqs.QueuePolicy, error) {
	ctx, logical := b.ctx, spec.SubscriptionDLQName
	key, err := kms.NewKey(ctx, logical+"Key", &kms.KeyArgs{
		Description:          pulumi.String("Encrypts " + b.names.Name(spec.SQS, logical)),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(7),
		Policy: pulumi.All(account.AccountId(), partition.Partition(), topicArn).ApplyT(func(a []any) string {
			return subscriptionDLQKeyPolicy(a[0].(string), a[1].(string), a[2].(string)).String()
		}).(pulumi.StringOutput),
		Tags: b.tags,
	}, b.opts()...)
	if err != nil {
		return nil, nil, wrap(logical+"Key", err)
	}
	// SNS delivers at most 256 KiB, so the queue takes that; it keeps what
	// it holds as long as SQS can, for the operator to redrive.
	queue, err := sqs.NewQueue(ctx, logical, &sqs.QueueArgs{
		Name:                    b.name(spec.SQS, logical),
		MaxMessageSize:          pulumi.Int(function.MaxMessageBytes),
		MessageRetentionSeconds: pulumi.Int(spec.SubscriptionDLQRetention),
		KmsMasterKeyId:          key.Arn,
		Tags:                    b.tags,
	}, b.opts()...)
	if err != nil {
		return nil, nil, wrap(logical, err)
	}
	qp, err := sqs.NewQueuePolicy(ctx, logical+"Policy", &sqs.QueuePolicyArgs{
		QueueUrl: queue.Url,
		Policy: pulumi.All(queue.Arn, topicArn).ApplyT(func(a []any) string {
			return queueSendPolicy(a[0].(string), a[1].(string)).String()
		}).(pulumi.StringOutput),
	}, b.opts()...)
	if err != nil {
		return nil, nil, wrap(logical+"Policy", err)
	}
	return queue, qp, nil
}
