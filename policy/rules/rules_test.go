package rules

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

type resourceSpec struct {
	typ   string
	props map[string]any
	deps  map[string][]string // property → "type name" of what it depends on
}

// fixture is a stack as the pack sees it, by logical name.
type fixture map[string]*resourceSpec

func (f fixture) resources() []policyx.AnalyzerResource {
	names := make([]string, 0, len(f))
	for n := range f {
		names = append(names, n)
	}
	slices.Sort(names)
	var out []policyx.AnalyzerResource
	for _, n := range names {
		out = append(out, res(f[n].typ, n, f[n].props, f[n].deps))
	}
	return out
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

const (
	queueArn = "arn:aws:sqs:eu-west-1:123456789012:orderpipe-dev-OrderQueue"
	dlqArn   = "arn:aws:sqs:eu-west-1:123456789012:orderpipe-dev-OrderQueueDLQ"
	fnArn    = "arn:aws:lambda:eu-west-1:123456789012:function:orderpipe-dev-ProcessOrderLambda"
	topicArn = "arn:aws:sns:eu-west-1:123456789012:orderpipe-dev-OrderTopic"
)

// goodStack is orderpipe's stack after an update: every value known.
func goodStack() fixture {
	return fixture{
		"OrderQueueDLQ": {typ: typeQueue, props: map[string]any{
			"name": "orderpipe-dev-OrderQueueDLQ", "arn": dlqArn, "url": "https://sqs/dlq",
			"messageRetentionSeconds": 1209600, "sqsManagedSseEnabled": true,
		}},
		"OrderQueue": {typ: typeQueue, props: map[string]any{
			"name": "orderpipe-dev-OrderQueue", "arn": queueArn, "url": "https://sqs/queue",
			"visibilityTimeoutSeconds": 180, "messageRetentionSeconds": 345600, "sqsManagedSseEnabled": true,
			"redrivePolicy": jsonString(map[string]any{"deadLetterTargetArn": dlqArn, "maxReceiveCount": 3}),
		}, deps: map[string][]string{"redrivePolicy": {typeQueue + " OrderQueueDLQ"}}},
		"OrderQueueMapping": {typ: typeMapping, props: map[string]any{
			"eventSourceArn": queueArn, "functionName": fnArn, "batchSize": 10, "maximumBatchingWindowInSeconds": 0,
			"functionResponseTypes": []string{"ReportBatchItemFailures"}, "scalingConfig": map[string]any{"maximumConcurrency": 10},
		}, deps: map[string][]string{"eventSourceArn": {typeQueue + " OrderQueue"}, "functionName": {typeFunction + " ProcessOrderLambda"}}},
		"ProcessOrderLambda": {typ: typeFunction, props: map[string]any{
			"name": "orderpipe-dev-ProcessOrderLambda", "arn": fnArn, "timeout": 30,
			"loggingConfig": map[string]any{"logFormat": "JSON", "logGroup": "/aws/lambda/orderpipe-dev-ProcessOrderLambda"},
			"tracingConfig": map[string]any{"mode": "Active"},
		}},
		"ProcessOrderLambdaLogs": {typ: typeLogGroup, props: map[string]any{"name": "/aws/lambda/orderpipe-dev-ProcessOrderLambda", "retentionInDays": 30}},
		"OrderTopic":             {typ: typeTopic, props: map[string]any{"name": "orderpipe-dev-OrderTopic", "arn": topicArn, "kmsMasterKeyId": "alias/aws/sns"}},
		"Orders": {typ: typeTable, props: map[string]any{"name": "orderpipe-dev-Orders",
			"pointInTimeRecovery": map[string]any{"enabled": true}, "serverSideEncryption": map[string]any{"enabled": true}}},
		"OrderQueuePolicy": {typ: typeQueuePolicy, props: map[string]any{"queueUrl": "https://sqs/queue", "policy": jsonString(map[string]any{
			"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"Service": "sns.amazonaws.com"},
				"Action": "sqs:SendMessage", "Resource": queueArn, "Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": topicArn}}},
				map[string]any{"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": queueArn, "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}}}})}},
		"ProcessOrderLambdaRolePolicy": {typ: typeRolePolicy, props: map[string]any{"name": "ProcessOrderLambdaRolePolicy-1a2b3c4", "policy": jsonString(map[string]any{
			"Version": "2012-10-17", "Statement": []any{
				map[string]any{"Effect": "Allow", "Action": []string{"dynamodb:PutItem"}, "Resource": []string{"arn:aws:dynamodb:eu-west-1:1:table/orderpipe-dev-Orders"}},
				map[string]any{"Effect": "Allow", "Action": []string{"logs:PutLogEvents"}, "Resource": []string{"arn:aws:logs:eu-west-1:1:log-group:/aws/lambda/x:log-stream:*"}},
			}})}},
		"DLQNotEmpty": {typ: typeMetricAlarm, props: map[string]any{"name": "orderpipe-dev-DLQNotEmpty", "namespace": "AWS/SQS",
			"metricName": "ApproximateNumberOfMessagesVisible", "dimensions": map[string]any{"QueueName": "orderpipe-dev-OrderQueueDLQ"}}},
	}
}

// preview is goodStack as a first preview sees it: every output unknown,
// and every input built from one unknown too.
func preview() fixture {
	f := goodStack()
	for _, s := range f {
		for _, k := range []string{"arn", "url"} {
			if _, ok := s.props[k]; ok {
				s.props[k] = unknown
			}
		}
	}
	f["OrderQueue"].props["redrivePolicy"] = unknown
	f["OrderQueueMapping"].props["eventSourceArn"] = unknown
	f["OrderQueueMapping"].props["functionName"] = unknown
	f["OrderQueuePolicy"].props["policy"] = unknown
	f["OrderQueuePolicy"].props["queueUrl"] = unknown
	f["ProcessOrderLambdaRolePolicy"].props["policy"] = unknown
	f["DLQNotEmpty"].props["dimensions"] = map[string]any{"QueueName": unknown}
	f["DLQNotEmpty"].deps = map[string][]string{"dimensions": {typeQueue + " OrderQueueDLQ"}}
	return f
}

func TestOrderpipeStackPasses(t *testing.T) {
	if got := analyze(t, goodStack().resources(), nil); len(got) != 0 {
		t.Errorf("the good stack reports:\n%s", strings.Join(got, "\n"))
	}
}

// During a first preview every ARN is unknown: the cross-resource rules
// correlate through property dependencies and decide what they can; what
// they cannot is listed, and nothing is silently passed.
func TestPreviewDecidesOnWhatIsKnown(t *testing.T) {
	got := analyze(t, preview().resources(), nil)
	want := []string{"preview-unknowns [] " + strings.Join([]string{
		"iam-least-privilege: ProcessOrderLambdaRolePolicy not checked: its policy is unknown until apply",
		"sqs-max-receive-count: OrderQueue not checked: its redrive policy is unknown until apply",
		"sqs-queue-has-dlq: OrderQueue not checked: its redrive policy is unknown until apply",
		"sqs-sns-no-public-policy: OrderQueuePolicy not checked: its policy is unknown until apply",
		"sqs-sns-queue-policy-scoped: OrderQueuePolicy not checked: its policy is unknown until apply",
		"sqs-sns-secure-transport: OrderQueuePolicy not checked: its policy is unknown until apply",
	}, "\n")}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A mandatory rule still fails in preview when the known values break it.
	f := preview()
	f["OrderQueue"].props["visibilityTimeoutSeconds"] = 60
	got = only(analyze(t, f.resources(), nil), "sqs-visibility-timeout-ratio")
	if len(got) != 1 || !strings.Contains(got[0], "OrderQueue visibilityTimeoutSeconds 60s < 6 × ProcessOrderLambda's timeout 30s") {
		t.Errorf("got %q", got)
	}
}

func TestPolicies(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		edit   func(f fixture)
		config map[string]map[string]any
		want   []string // that policy's reports
	}{
		// sqs-queue-has-dlq
		{"no redrive policy", "sqs-queue-has-dlq", func(f fixture) { delete(f["OrderQueue"].props, "redrivePolicy") }, nil,
			[]string{"sqs-queue-has-dlq [OrderQueue] OrderQueue feeds the event source mapping OrderQueueMapping but has no redrive policy; set redrivePolicy with a deadLetterTargetArn, or add an aws:sqs/redrivePolicy:RedrivePolicy for it"}},
		{"redrive as a resource of its own", "sqs-queue-has-dlq", func(f fixture) {
			delete(f["OrderQueue"].props, "redrivePolicy")
			f["Redrive"] = &resourceSpec{typ: typeRedrivePolicy, props: map[string]any{"queueUrl": "https://sqs/queue",
				"redrivePolicy": jsonString(map[string]any{"deadLetterTargetArn": dlqArn, "maxReceiveCount": 5})}}
		}, nil, nil},
		{"redrive resource during preview", "sqs-queue-has-dlq", func(f fixture) {
			delete(f["OrderQueue"].props, "redrivePolicy")
			f["Redrive"] = &resourceSpec{typ: typeRedrivePolicy, props: map[string]any{"queueUrl": unknown, "redrivePolicy": unknown},
				deps: map[string][]string{"queueUrl": {typeQueue + " OrderQueue"}}}
		}, nil, nil},
		{"redrive without a target", "sqs-queue-has-dlq", func(f fixture) {
			f["OrderQueue"].props["redrivePolicy"] = jsonString(map[string]any{"maxReceiveCount": 3})
		}, nil, []string{"sqs-queue-has-dlq [OrderQueue] OrderQueue has a redrive policy without a deadLetterTargetArn; name its dead-letter queue"}},
		{"redrive policy that is not JSON", "sqs-queue-has-dlq", func(f fixture) {
			f["OrderQueue"].props["redrivePolicy"] = "deadLetterTargetArn=" + dlqArn
		}, nil, []string{`sqs-queue-has-dlq [OrderQueue] OrderQueue redrivePolicy cannot be read: it is not valid JSON; write it as JSON such as {"deadLetterTargetArn": "<DLQ ARN>", "maxReceiveCount": 5}`}},
		{"maxReceiveCount as a string, as the SQS API writes it", "sqs-queue-has-dlq", func(f fixture) {
			f["OrderQueue"].props["redrivePolicy"] = `{"deadLetterTargetArn":"` + dlqArn + `","maxReceiveCount":"5"}`
		}, nil, nil},
		{"maxReceiveCount that is no number", "sqs-queue-has-dlq", func(f fixture) {
			f["OrderQueue"].props["redrivePolicy"] = `{"deadLetterTargetArn":"` + dlqArn + `","maxReceiveCount":"five"}`
		}, nil, []string{`sqs-queue-has-dlq [OrderQueue] OrderQueue redrivePolicy cannot be read: maxReceiveCount "five" is not a whole number; write it as JSON such as {"deadLetterTargetArn": "<DLQ ARN>", "maxReceiveCount": 5}`}},
		{"a redrive document of another shape", "sqs-queue-has-dlq", func(f fixture) {
			f["OrderQueue"].props["redrivePolicy"] = `["` + dlqArn + `"]`
		}, nil, []string{`sqs-queue-has-dlq [OrderQueue] OrderQueue redrivePolicy cannot be read: it is an array, not a JSON object; write it as JSON such as {"deadLetterTargetArn": "<DLQ ARN>", "maxReceiveCount": 5}`}},
		{"queue feeding nothing needs no DLQ", "sqs-queue-has-dlq", func(f fixture) {
			delete(f["OrderQueue"].props, "redrivePolicy")
			delete(f, "OrderQueueMapping")
		}, nil, nil},

		// sqs-visibility-timeout-ratio
		{"visibility too short", "sqs-visibility-timeout-ratio", func(f fixture) { f["OrderQueue"].props["visibilityTimeoutSeconds"] = 60 }, nil,
			[]string{"sqs-visibility-timeout-ratio [OrderQueue] OrderQueue visibilityTimeoutSeconds 60s < 6 × ProcessOrderLambda's timeout 30s + OrderQueueMapping's maximumBatchingWindowInSeconds 0s = 180s; raise the queue's visibilityTimeoutSeconds or lower the function's timeout"}},
		{"the function through an alias", "sqs-visibility-timeout-ratio", func(f fixture) {
			f["ProcessOrderLambda"].props["timeout"] = 60
			f["Live"] = &resourceSpec{typ: typeAlias, props: map[string]any{"name": "live", "functionName": "orderpipe-dev-ProcessOrderLambda", "arn": fnArn + ":live"}}
			f["OrderQueueMapping"].props["functionName"] = fnArn + ":live"
			f["OrderQueueMapping"].deps = map[string][]string{"eventSourceArn": {typeQueue + " OrderQueue"}, "functionName": {typeAlias + " Live"}}
		}, nil, []string{"sqs-visibility-timeout-ratio [OrderQueue] OrderQueue visibilityTimeoutSeconds 180s < 6 × ProcessOrderLambda's timeout 60s + OrderQueueMapping's maximumBatchingWindowInSeconds 0s = 360s; raise the queue's visibilityTimeoutSeconds or lower the function's timeout"}},
		{"the function by its literal name", "sqs-visibility-timeout-ratio", func(f fixture) {
			f["ProcessOrderLambda"].props["timeout"] = 60
			f["OrderQueueMapping"].props["functionName"] = "orderpipe-dev-ProcessOrderLambda"
			delete(f["OrderQueueMapping"].deps, "functionName")
		}, nil, []string{"sqs-visibility-timeout-ratio [OrderQueue] OrderQueue visibilityTimeoutSeconds 180s < 6 × ProcessOrderLambda's timeout 60s + OrderQueueMapping's maximumBatchingWindowInSeconds 0s = 360s; raise the queue's visibilityTimeoutSeconds or lower the function's timeout"}},
		{"the function by a literal alias ARN", "sqs-visibility-timeout-ratio", func(f fixture) {
			f["ProcessOrderLambda"].props["timeout"] = 60
			f["OrderQueueMapping"].props["functionName"] = fnArn + ":live"
			delete(f["OrderQueueMapping"].deps, "functionName")
		}, nil, []string{"sqs-visibility-timeout-ratio [OrderQueue] OrderQueue visibilityTimeoutSeconds 180s < 6 × ProcessOrderLambda's timeout 60s + OrderQueueMapping's maximumBatchingWindowInSeconds 0s = 360s; raise the queue's visibilityTimeoutSeconds or lower the function's timeout"}},
		{"the window counts", "sqs-visibility-timeout-ratio", func(f fixture) { f["OrderQueueMapping"].props["maximumBatchingWindowInSeconds"] = 5 }, nil,
			[]string{"sqs-visibility-timeout-ratio [OrderQueue] OrderQueue visibilityTimeoutSeconds 180s < 6 × ProcessOrderLambda's timeout 30s + OrderQueueMapping's maximumBatchingWindowInSeconds 5s = 185s; raise the queue's visibilityTimeoutSeconds or lower the function's timeout"}},
		{"AWS defaults", "sqs-visibility-timeout-ratio", func(f fixture) {
			delete(f["OrderQueue"].props, "visibilityTimeoutSeconds")
			f["ProcessOrderLambda"].props["timeout"] = 6
		}, nil, []string{"sqs-visibility-timeout-ratio [OrderQueue] OrderQueue visibilityTimeoutSeconds 30s < 6 × ProcessOrderLambda's timeout 6s + OrderQueueMapping's maximumBatchingWindowInSeconds 0s = 36s; raise the queue's visibilityTimeoutSeconds or lower the function's timeout"}},
		{"AWS defaults that pass", "sqs-visibility-timeout-ratio", func(f fixture) {
			delete(f["OrderQueue"].props, "visibilityTimeoutSeconds")
			delete(f["ProcessOrderLambda"].props, "timeout")
		}, nil, nil},
		{"configured ratio", "sqs-visibility-timeout-ratio", func(f fixture) {}, map[string]map[string]any{"pack-settings": {"visibilityRatio": 7.0}},
			[]string{"sqs-visibility-timeout-ratio [OrderQueue] OrderQueue visibilityTimeoutSeconds 180s < 7 × ProcessOrderLambda's timeout 30s + OrderQueueMapping's maximumBatchingWindowInSeconds 0s = 210s; raise the queue's visibilityTimeoutSeconds or lower the function's timeout"}},
		{"unknown timeout is noted, not passed", "preview-unknowns", func(f fixture) { f["ProcessOrderLambda"].props["timeout"] = unknown }, nil,
			[]string{"preview-unknowns [] sqs-visibility-timeout-ratio: ProcessOrderLambda not checked: its timeout is unknown until apply"}},

		// sqs-max-receive-count
		{"low count, concurrency capped", "sqs-max-receive-count", func(f fixture) {}, nil, nil},
		{"low count, uncapped", "sqs-max-receive-count", func(f fixture) { delete(f["OrderQueueMapping"].props, "scalingConfig") }, nil,
			[]string{"sqs-max-receive-count [OrderQueue] OrderQueue maxReceiveCount 3 < 5 and its mapping OrderQueueMapping does not cap concurrency; raise maxReceiveCount or set scalingConfig.maximumConcurrency"}},
		{"count too high", "sqs-max-receive-count", func(f fixture) {
			f["OrderQueue"].props["redrivePolicy"] = jsonString(map[string]any{"deadLetterTargetArn": dlqArn, "maxReceiveCount": 500})
		}, nil, []string{"sqs-max-receive-count [OrderQueue] OrderQueue maxReceiveCount 500 > 100; lower it so that poison messages reach the DLQ sooner"}},
		{"count written as a string", "sqs-max-receive-count", func(f fixture) {
			f["OrderQueue"].props["redrivePolicy"] = `{"deadLetterTargetArn":"` + dlqArn + `","maxReceiveCount":"500"}`
		}, nil, []string{"sqs-max-receive-count [OrderQueue] OrderQueue maxReceiveCount 500 > 100; lower it so that poison messages reach the DLQ sooner"}},
		{"configured bounds", "sqs-max-receive-count", func(f fixture) { delete(f["OrderQueueMapping"].props, "scalingConfig") },
			map[string]map[string]any{"pack-settings": {"minReceiveCount": 2.0}}, nil},

		// sqs-dlq-retention
		{"DLQ keeps no longer", "sqs-dlq-retention", func(f fixture) { f["OrderQueueDLQ"].props["messageRetentionSeconds"] = 345600 }, nil,
			[]string{"sqs-dlq-retention [OrderQueueDLQ] OrderQueueDLQ messageRetentionSeconds 345600s is not longer than its source OrderQueue's 345600s; raise the DLQ's messageRetentionSeconds"}},
		{"FIFO: the move resets the enqueue time", "sqs-dlq-retention", func(f fixture) {
			f["OrderQueue"].props["fifoQueue"] = true
			f["OrderQueue"].props["name"] = "orderpipe-dev-OrderQueue.fifo"
			f["OrderQueueDLQ"].props["messageRetentionSeconds"] = 345600
		}, nil, nil},
		{"a DLQ with a DLQ of its own, both at the maximum", "sqs-dlq-retention", func(f fixture) {
			f["OrderQueue"].props["messageRetentionSeconds"] = 1209600
			f["OrderQueueDLQ"].props["messageRetentionSeconds"] = 1209600
		}, nil, nil},
		{"the source at the maximum: no advice to raise it past it", "sqs-dlq-retention", func(f fixture) {
			f["OrderQueue"].props["messageRetentionSeconds"] = 1209600
			f["OrderQueueDLQ"].props["messageRetentionSeconds"] = 604800
		}, nil, []string{"sqs-dlq-retention [OrderQueueDLQ] OrderQueueDLQ messageRetentionSeconds 604800s is not longer than its source OrderQueue's 1209600s; raise the DLQ's messageRetentionSeconds to the 14-day maximum (1209600)"}},
		{"an IAM document that is not JSON", "iam-least-privilege", func(f fixture) {
			f["ProcessOrderLambdaRolePolicy"].props["policy"] = "Allow sqs:SendMessage"
		}, nil, []string{"iam-least-privilege [ProcessOrderLambdaRolePolicy] ProcessOrderLambdaRolePolicy policy cannot be read as an IAM policy document: it is not valid JSON"}},
		{"defaults on both", "sqs-dlq-retention", func(f fixture) {
			delete(f["OrderQueueDLQ"].props, "messageRetentionSeconds")
			delete(f["OrderQueue"].props, "messageRetentionSeconds")
		}, nil, []string{"sqs-dlq-retention [OrderQueueDLQ] OrderQueueDLQ messageRetentionSeconds 345600s is not longer than its source OrderQueue's 345600s; raise the DLQ's messageRetentionSeconds"}},
		{"DLQ found through dependencies in preview", "sqs-dlq-retention", func(f fixture) {
			f["OrderQueue"].props["redrivePolicy"] = unknown
			f["OrderQueueDLQ"].props["messageRetentionSeconds"] = 60
		}, nil, []string{"sqs-dlq-retention [OrderQueueDLQ] OrderQueueDLQ messageRetentionSeconds 60s is not longer than its source OrderQueue's 345600s; raise the DLQ's messageRetentionSeconds"}},

		// lambda-sqs-partial-batch
		{"a mapping on another team's queue", "lambda-sqs-partial-batch", func(f fixture) {
			f["Shared"] = &resourceSpec{typ: typeMapping, props: map[string]any{"eventSourceArn": "arn:aws:sqs:eu-west-1:210987654321:shared-orders", "functionName": fnArn}}
		}, nil, []string{"lambda-sqs-partial-batch [Shared] Shared (from arn:aws:sqs:eu-west-1:210987654321:shared-orders) has functionResponseTypes []; add \"ReportBatchItemFailures\""}},
		{"a Kinesis mapping is not SQS's", "lambda-sqs-partial-batch", func(f fixture) {
			f["Stream"] = &resourceSpec{typ: typeMapping, props: map[string]any{"eventSourceArn": "arn:aws:kinesis:eu-west-1:1:stream/s", "functionName": fnArn}}
		}, nil, nil},
		{"no partial batch responses", "lambda-sqs-partial-batch", func(f fixture) { delete(f["OrderQueueMapping"].props, "functionResponseTypes") }, nil,
			[]string{"lambda-sqs-partial-batch [OrderQueueMapping] OrderQueueMapping (from OrderQueue) has functionResponseTypes []; add \"ReportBatchItemFailures\""}},
		{"a mapping from outside the stack", "lambda-sqs-partial-batch", func(f fixture) {
			f["OrderQueueMapping"].props["eventSourceArn"] = "arn:aws:kinesis:eu-west-1:1:stream/s"
			f["OrderQueueMapping"].deps = nil
			delete(f["OrderQueueMapping"].props, "functionResponseTypes")
		}, nil, nil},

		// encryption-at-rest
		{"plain queue", "encryption-at-rest", func(f fixture) { f["OrderQueueDLQ"].props["sqsManagedSseEnabled"] = false }, nil,
			[]string{"encryption-at-rest [OrderQueueDLQ] OrderQueueDLQ (aws:sqs/queue:Queue) is not encrypted at rest; set sqsManagedSseEnabled: true (or leave it unset) or a kmsMasterKeyId"}},
		{"queue without an SSE setting: SSE-SQS by default", "encryption-at-rest", func(f fixture) { delete(f["OrderQueueDLQ"].props, "sqsManagedSseEnabled") }, nil, nil},
		{"queue with KMS", "encryption-at-rest", func(f fixture) {
			delete(f["OrderQueueDLQ"].props, "sqsManagedSseEnabled")
			f["OrderQueueDLQ"].props["kmsMasterKeyId"] = "alias/aws/sqs"
		}, nil, nil},
		{"plain topic", "encryption-at-rest", func(f fixture) { delete(f["OrderTopic"].props, "kmsMasterKeyId") }, nil,
			[]string{"encryption-at-rest [OrderTopic] OrderTopic (aws:sns/topic:Topic) is not encrypted at rest; set kmsMasterKeyId to a customer managed key whose policy admits every service that publishes to the topic"}},
		{"table without serverSideEncryption: an AWS-owned key", "encryption-at-rest", func(f fixture) { delete(f["Orders"].props, "serverSideEncryption") }, nil, nil},
		{"topic key unknown", "preview-unknowns", func(f fixture) { f["OrderTopic"].props["kmsMasterKeyId"] = unknown }, nil,
			[]string{"preview-unknowns [] encryption-at-rest: OrderTopic not checked: its encryption settings are unknown until apply"}},

		// dynamodb-pitr
		{"no PITR", "dynamodb-pitr", func(f fixture) { f["Orders"].props["pointInTimeRecovery"] = map[string]any{"enabled": false} }, nil,
			[]string{"dynamodb-pitr [Orders] Orders has point-in-time recovery off; set pointInTimeRecovery.enabled: true"}},

		// iam-least-privilege
		{"wildcards", "iam-least-privilege", func(f fixture) {
			f["ProcessOrderLambdaRolePolicy"].props["policy"] = jsonString(map[string]any{"Statement": map[string]any{
				"Sid": "TooMuch", "Effect": "Allow", "Action": []string{"sqs:*", "dynamodb:GetItem", "*"}, "Resource": "arn:aws:sqs:eu-west-1:1:orders"}})
		}, nil, []string{
			`iam-least-privilege [ProcessOrderLambdaRolePolicy] ProcessOrderLambdaRolePolicy policy statement TooMuch allows the action "*", actions of every service; list the exact actions it needs`,
			`iam-least-privilege [ProcessOrderLambdaRolePolicy] ProcessOrderLambdaRolePolicy policy statement TooMuch allows the action "sqs:*", every action of sqs; list the exact actions it needs`,
		}},
		{"allowed exceptions", "iam-least-privilege", func(f fixture) {
			f["ProcessOrderLambdaRolePolicy"].props["policy"] = jsonString(map[string]any{"Statement": []any{map[string]any{
				"Effect": "Allow", "Action": "xray:*", "Resource": "*"}}})
		}, map[string]map[string]any{"iam-least-privilege": {"allowedActions": []any{"xray:*"}, "allowedResources": []any{"*"}}}, nil},
		{"NotAction", "iam-least-privilege", func(f fixture) {
			f["ProcessOrderLambdaRolePolicy"].props["policy"] = jsonString(map[string]any{"Statement": []any{map[string]any{
				"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::b"}}})
		}, nil, []string{"iam-least-privilege [ProcessOrderLambdaRolePolicy] ProcessOrderLambdaRolePolicy policy statement #0 allows with NotAction or NotResource, which grants everything else; list what it allows"}},
		{"inline policy on a role", "iam-least-privilege", func(f fixture) {
			f["Role"] = &resourceSpec{typ: typeRole, props: map[string]any{"name": "orderpipe-dev-Role", "inlinePolicies": []any{
				map[string]any{"name": "p", "policy": jsonString(map[string]any{"Statement": []any{map[string]any{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}})}}}}
		}, nil, []string{`iam-least-privilege [Role] Role inlinePolicies[0] statement #0 allows the resource "*" for s3:GetObject, which AWS's authorization data gives resource types; name the exact ARNs ("*" is for actions without any, such as xray:PutTraceSegments)`}},
		{"X-Ray's writes on *, which have no resource-level permissions", "iam-least-privilege", func(f fixture) {
			f["ProcessOrderLambdaRolePolicy"].props["policy"] = jsonString(map[string]any{"Statement": []any{map[string]any{
				"Sid": "WriteTraces", "Effect": "Allow", "Action": []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, "Resource": "*"}}})
		}, nil, nil},
		{"X-Ray beside an action that has resource-level permissions", "iam-least-privilege", func(f fixture) {
			f["ProcessOrderLambdaRolePolicy"].props["policy"] = jsonString(map[string]any{"Statement": []any{map[string]any{
				"Sid": "Mixed", "Effect": "Allow", "Action": []string{"xray:PutTraceSegments", "sqs:SendMessage"}, "Resource": "*"}}})
		}, nil, []string{`iam-least-privilege [ProcessOrderLambdaRolePolicy] ProcessOrderLambdaRolePolicy policy statement Mixed allows the resource "*" for sqs:SendMessage, which AWS's authorization data gives resource types; name the exact ARNs ("*" is for actions without any, such as xray:PutTraceSegments)`}},
		{"a broad AWS-managed policy on the role", "iam-least-privilege", func(f fixture) {
			f["Role"] = &resourceSpec{typ: typeRole, props: map[string]any{"name": "orderpipe-dev-eu-west-1-Role",
				"managedPolicyArns": []string{"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", "arn:aws:iam::aws:policy/AdministratorAccess"}}}
		}, nil, []string{"iam-least-privilege [Role] Role attaches arn:aws:iam::aws:policy/AdministratorAccess, which grants every action of every service on every resource; attach a policy of the exact actions and ARNs it needs"}},
		{"a FullAccess policy attached", "iam-least-privilege", func(f fixture) {
			f["Attach"] = &resourceSpec{typ: "aws:iam/rolePolicyAttachment:RolePolicyAttachment", props: map[string]any{"role": "r", "policyArn": "arn:aws:iam::aws:policy/AmazonSQSFullAccess"}}
			f["UserAttach"] = &resourceSpec{typ: "aws:iam/userPolicyAttachment:UserPolicyAttachment", props: map[string]any{"user": "u", "policyArn": "arn:aws:iam::aws:policy/PowerUserAccess"}}
		}, nil, []string{
			"iam-least-privilege [Attach] Attach attaches arn:aws:iam::aws:policy/AmazonSQSFullAccess, which grants every action of sqs on every resource; attach a policy of the exact actions and ARNs it needs",
			"iam-least-privilege [UserAttach] UserAttach attaches arn:aws:iam::aws:policy/PowerUserAccess, which grants every action but iam:*, organizations:*, account:*; attach a policy of the exact actions and ARNs it needs",
		}},
		{"every-resource ARNs", "iam-least-privilege", func(f fixture) {
			f["ProcessOrderLambdaRolePolicy"].props["policy"] = jsonString(map[string]any{"Statement": []any{map[string]any{
				"Sid": "Wide", "Effect": "Allow", "Action": []string{"sqs:SendMessage", "dynamodb:PutItem"},
				"Resource": []string{"arn:aws:sqs:*:*:*", "arn:aws:dynamodb:eu-west-1:1:table/*", "arn:aws:sqs:eu-west-1:1:orders"}}}})
		}, nil, []string{
			`iam-least-privilege [ProcessOrderLambdaRolePolicy] ProcessOrderLambdaRolePolicy policy statement Wide allows the resource "arn:aws:dynamodb:eu-west-1:1:table/*", which is every dynamodb table; name the exact ARNs`,
			`iam-least-privilege [ProcessOrderLambdaRolePolicy] ProcessOrderLambdaRolePolicy policy statement Wide allows the resource "arn:aws:sqs:*:*:*", which is every sqs queue; name the exact ARNs`,
		}},
		{"a user's inline policy", "iam-least-privilege", func(f fixture) {
			f["Ops"] = &resourceSpec{typ: "aws:iam/userPolicy:UserPolicy", props: map[string]any{"user": "ops", "policy": jsonString(map[string]any{
				"Statement": []any{map[string]any{"Effect": "Allow", "Action": "sqs:*", "Resource": queueArn}}})}}
		}, nil, []string{`iam-least-privilege [Ops] Ops policy statement #0 allows the action "sqs:*", every action of sqs; list the exact actions it needs`}},
		// The logs actions take log-group and log-stream ARNs (the Service
		// Authorization Reference), so "*" for them is every log group.
		{"AWSLambdaBasicExecutionRole's grant written out on *", "iam-least-privilege", func(f fixture) {
			f["ProcessOrderLambdaRolePolicy"].props["policy"] = jsonString(map[string]any{"Statement": []any{map[string]any{
				"Effect": "Allow", "Action": []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}, "Resource": "*"}}})
		}, nil, []string{`iam-least-privilege [ProcessOrderLambdaRolePolicy] ProcessOrderLambdaRolePolicy policy statement #0 allows the resource "*" for logs:CreateLogGroup, logs:CreateLogStream, logs:PutLogEvents, which AWS's authorization data gives resource types; name the exact ARNs ("*" is for actions without any, such as xray:PutTraceSegments)`}},
		{"the logs grant on the function's log group", "iam-least-privilege", func(f fixture) {
			f["ProcessOrderLambdaRolePolicy"].props["policy"] = jsonString(map[string]any{"Statement": []any{map[string]any{
				"Effect": "Allow", "Action": []string{"logs:CreateLogStream", "logs:PutLogEvents"},
				"Resource": "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/orderpipe-dev-ProcessOrderLambda:*"}}})
		}, nil, nil},
		{"deny may use wildcards", "iam-least-privilege", func(f fixture) {
			f["ProcessOrderLambdaRolePolicy"].props["policy"] = jsonString(map[string]any{"Statement": []any{map[string]any{"Effect": "Deny", "Action": "*", "Resource": "*"}}})
		}, nil, nil},

		// sqs-sns-queue-policy-scoped
		{"unscoped SNS send", "sqs-sns-queue-policy-scoped", func(f fixture) {
			f["OrderQueuePolicy"].props["policy"] = jsonString(map[string]any{"Statement": []any{map[string]any{"Sid": "Open", "Effect": "Allow",
				"Principal": map[string]any{"Service": []string{"sns.amazonaws.com"}}, "Action": "sqs:SendMessage", "Resource": queueArn}}})
		}, nil, []string{"sqs-sns-queue-policy-scoped [OrderQueuePolicy] OrderQueuePolicy statement Open lets sns.amazonaws.com send without an aws:SourceArn condition; add ArnEquals aws:SourceArn with the topic's ARN"}},
		{"a policy on the queue itself", "sqs-sns-queue-policy-scoped", func(f fixture) {
			f["OrderQueueDLQ"].props["policy"] = jsonString(map[string]any{"Statement": []any{map[string]any{"Effect": "Allow",
				"Principal": map[string]any{"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": dlqArn,
				"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": "1"}}}}})
		}, nil, []string{"sqs-sns-queue-policy-scoped [OrderQueueDLQ] OrderQueueDLQ statement #0 lets sns.amazonaws.com send without an aws:SourceArn condition; add ArnEquals aws:SourceArn with the topic's ARN"}},

		{"SourceArn that matches any topic", "sqs-sns-queue-policy-scoped", func(f fixture) {
			f["OrderQueuePolicy"].props["policy"] = jsonString(map[string]any{"Statement": []any{map[string]any{"Sid": "Any", "Effect": "Allow",
				"Principal": map[string]any{"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": queueArn,
				"Condition": map[string]any{"ArnLike": map[string]any{"aws:SourceArn": "arn:aws:sns:*:*:*"}}}}})
		}, nil, []string{`sqs-sns-queue-policy-scoped [OrderQueuePolicy] OrderQueuePolicy statement Any lets sns.amazonaws.com send from aws:SourceArn "arn:aws:sns:*:*:*", which matches topics of others too; name the topic's ARN`}},

		// sqs-sns-no-public-policy
		{"queue open to everyone", "sqs-sns-no-public-policy", func(f fixture) {
			f["OrderQueuePolicy"].props["policy"] = jsonString(map[string]any{"Statement": []any{map[string]any{"Sid": "Open", "Effect": "Allow",
				"Principal": "*", "Action": "sqs:SendMessage", "Resource": queueArn}}})
		}, nil, []string{`sqs-sns-no-public-policy [OrderQueuePolicy] OrderQueuePolicy policy statement Open allows everyone (Principal "*") [sqs:SendMessage] with no condition that confines who calls to an account, organisation or ARN; name the principals, or add a condition such as aws:SourceArn with the topic's ARN or aws:SourceAccount`}},
		{"topic open to every AWS account", "sqs-sns-no-public-policy", func(f fixture) {
			f["OrderTopic"].props["policy"] = jsonString(map[string]any{"Statement": map[string]any{"Effect": "Allow",
				"Principal": map[string]any{"AWS": "*"}, "Action": []string{"sns:Publish", "sns:Subscribe"}, "Resource": topicArn}})
		}, nil, []string{`sqs-sns-no-public-policy [OrderTopic] OrderTopic policy statement #0 allows everyone (Principal "*") [sns:Publish sns:Subscribe] with no condition that confines who calls to an account, organisation or ARN; name the principals, or add a condition such as aws:SourceArn with the topic's ARN or aws:SourceAccount`}},
		{"everyone, confined to the organisation", "sqs-sns-no-public-policy", func(f fixture) {
			f["OrderQueuePolicy"].props["policy"] = jsonString(map[string]any{"Statement": []any{map[string]any{"Effect": "Allow",
				"Principal": "*", "Action": "sqs:SendMessage", "Resource": queueArn,
				"Condition": map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": "o-abc"}}}}})
		}, nil, nil},

		// sqs-sns-secure-transport
		{"a queue policy without the TLS deny", "sqs-sns-secure-transport", func(f fixture) {
			f["OrderQueuePolicy"].props["policy"] = jsonString(map[string]any{"Statement": []any{map[string]any{"Effect": "Allow",
				"Principal": map[string]any{"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": queueArn,
				"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": topicArn}}}}})
		}, nil, []string{`sqs-sns-secure-transport [OrderQueuePolicy] OrderQueuePolicy policy does not deny requests without TLS; add a Deny statement with Condition {"Bool": {"aws:SecureTransport": "false"}}`}},

		// sqs-redrive-everywhere
		{"a queue no Lambda reads, without a DLQ", "sqs-redrive-everywhere", func(f fixture) {
			f["Audit"] = &resourceSpec{typ: typeQueue, props: map[string]any{"name": "orderpipe-dev-Audit"}}
		}, nil, []string{"sqs-redrive-everywhere [Audit] Audit has no redrive policy and is no dead-letter queue (of a queue, SNS subscription, function or event source mapping); set redrivePolicy with a deadLetterTargetArn"}},

		// kms-key-rotation
		{"a key that does not rotate", "kms-key-rotation", func(f fixture) {
			f["Key"] = &resourceSpec{typ: "aws:kms/key:Key", props: map[string]any{"description": "k"}}
			f["Signing"] = &resourceSpec{typ: "aws:kms/key:Key", props: map[string]any{"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"}}
			f["Rotating"] = &resourceSpec{typ: "aws:kms/key:Key", props: map[string]any{"enableKeyRotation": true}}
		}, nil, []string{"kms-key-rotation [Key] Key does not rotate its key material; set enableKeyRotation: true"}},

		// AWS rotates only symmetric keys with AWS_KMS material outside a
		// custom key store (KMS Developer Guide, "Rotate AWS KMS keys").
		{"keys that cannot rotate", "kms-key-rotation", func(f fixture) {
			f["Hsm"] = &resourceSpec{typ: "aws:kms/key:Key", props: map[string]any{"customKeyStoreId": "cks-1234567890abcdef0"}}
			f["Xks"] = &resourceSpec{typ: "aws:kms/key:Key", props: map[string]any{"customKeyStoreId": "cks-abc", "xksKeyId": "key-1"}}
			f["Hmac"] = &resourceSpec{typ: "aws:kms/key:Key", props: map[string]any{"customerMasterKeySpec": "HMAC_256", "keyUsage": "GENERATE_VERIFY_MAC"}}
		}, nil, nil},
		{"a key store known, the rest not", "preview-unknowns", func(f fixture) {
			f["Hsm"] = &resourceSpec{typ: "aws:kms/key:Key", props: map[string]any{"customKeyStoreId": "cks-1", "enableKeyRotation": unknown}}
			f["Plain"] = &resourceSpec{typ: "aws:kms/key:Key", props: map[string]any{"customKeyStoreId": unknown}}
		}, nil, []string{"preview-unknowns [] kms-key-rotation: Plain not checked: its key spec, key store or rotation is unknown until apply"}},

		// dynamodb-pitr, per replica (DynamoDB Developer Guide: PITR is
		// enabled on each replica of a global table).
		{"a replica without PITR", "dynamodb-pitr", func(f fixture) {
			f["Orders"].props["replicas"] = []any{map[string]any{"regionName": "eu-central-1", "pointInTimeRecovery": true}, map[string]any{"regionName": "us-east-1"}}
		}, nil, []string{"dynamodb-pitr [Orders] Orders replica in us-east-1 (replicas[1]) has point-in-time recovery off; set its pointInTimeRecovery: true"}},
		{"a TableReplica without PITR", "dynamodb-pitr", func(f fixture) {
			f["Replica"] = &resourceSpec{typ: "aws:dynamodb/tableReplica:TableReplica", props: map[string]any{"globalTableArn": "arn:aws:dynamodb:eu-west-1:1:table/t"}}
		}, nil, []string{"dynamodb-pitr [Replica] Replica has point-in-time recovery off; set pointInTimeRecovery: true"}},

		// sqs-redrive-everywhere: every kind of DLQ
		{"DLQs of a subscription, a function, an async invoke and a stream", "sqs-redrive-everywhere", func(f fixture) {
			for _, q := range []string{"SubDlq", "FnDlq", "AsyncDlq", "StreamDlq"} {
				f[q] = &resourceSpec{typ: typeQueue, props: map[string]any{"name": "orderpipe-dev-" + q, "arn": "arn:aws:sqs:eu-west-1:1:" + q}}
			}
			f["Sub"] = &resourceSpec{typ: typeTopicSubscribe, props: map[string]any{"redrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:1:SubDlq"}`}}
			f["ProcessOrderLambda"].props["deadLetterConfig"] = map[string]any{"targetArn": "arn:aws:sqs:eu-west-1:1:FnDlq"}
			f["Async"] = &resourceSpec{typ: "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", props: map[string]any{
				"destinationConfig": map[string]any{"onFailure": map[string]any{"destination": unknown}}}, deps: map[string][]string{"destinationConfig": {typeQueue + " AsyncDlq"}}}
			f["Stream"] = &resourceSpec{typ: typeMapping, props: map[string]any{"eventSourceArn": "arn:aws:kinesis:eu-west-1:1:stream/s",
				"destinationConfig": map[string]any{"onFailure": map[string]any{"destinationArn": "arn:aws:sqs:eu-west-1:1:StreamDlq"}}}}
		}, nil, nil},
		{"a destination unknown in preview defers the verdict", "preview-unknowns", func(f fixture) {
			f["Audit"] = &resourceSpec{typ: typeQueue, props: map[string]any{"name": "orderpipe-dev-Audit"}}
			f["Sub"] = &resourceSpec{typ: typeTopicSubscribe, props: map[string]any{"redrivePolicy": unknown}}
		}, nil, []string{"preview-unknowns [] sqs-redrive-everywhere: Audit not checked: whether it is a dead-letter queue of a subscription, function or mapping is unknown until apply"}},

		// lambda-tracing
		{"a function that does not trace", "lambda-tracing", func(f fixture) { delete(f["ProcessOrderLambda"].props, "tracingConfig") }, nil,
			[]string{`lambda-tracing [ProcessOrderLambda] ProcessOrderLambda does not trace (tracingConfig.mode ""); set it to "Active"`}},

		// stack-scoped-names
		{"a name without the stack", "stack-scoped-names", func(f fixture) { f["Orders"].props["name"] = "Orders" }, nil,
			[]string{`stack-scoped-names [Orders] Orders is named "Orders", which does not carry the stack name "dev" as a word of its own; name it from the project and stack (e.g. "orderpipe-dev-Orders")`}},
		{"the stack name inside a word", "stack-scoped-names", func(f fixture) { f["OrderQueue"].props["name"] = "device-events" }, nil,
			[]string{`stack-scoped-names [OrderQueue] OrderQueue is named "device-events", which does not carry the stack name "dev" as a word of its own; name it from the project and stack (e.g. "orderpipe-dev-OrderQueue")`}},
		{"a role without the region", "stack-scoped-names", func(f fixture) {
			f["Role"] = &resourceSpec{typ: typeRole, props: map[string]any{"name": "orderpipe-dev-ProcessOrderLambdaRole"}}
		}, nil, []string{`stack-scoped-names [Role] Role is named "orderpipe-dev-ProcessOrderLambdaRole"; iam role names are unique in the whole account, so it must carry the region too (e.g. "orderpipe-dev-eu-west-1-Role"), or the same stack in another region collides with it`}},
		{"a role and a dashboard with the region", "stack-scoped-names", func(f fixture) {
			f["Role"] = &resourceSpec{typ: typeRole, props: map[string]any{"name": "orderpipe-dev-us-gov-west-1-ProcessOrderLambdaRole"}}
			f["Overview"] = &resourceSpec{typ: typeDashboard, props: map[string]any{"dashboardName": "orderpipe-dev-ap-southeast-2-Overview"}}
		}, nil, nil},
		{"a dashboard without the region", "stack-scoped-names", func(f fixture) {
			f["Overview"] = &resourceSpec{typ: typeDashboard, props: map[string]any{"dashboardName": "orderpipe-dev-Overview"}}
		}, nil, []string{`stack-scoped-names [Overview] Overview is named "orderpipe-dev-Overview"; cloudwatch dashboard names are unique in the whole account, so it must carry the region too (e.g. "orderpipe-dev-eu-west-1-Overview"), or the same stack in another region collides with it`}},
		{"a shortened role name with the region", "stack-scoped-names", func(f fixture) {
			f["Role"] = &resourceSpec{typ: typeRole, props: map[string]any{"name": "orderpipe-dev-eu-west-1-ProcessOrderLambdaRole-1a2b3c4d"}}
		}, nil, nil},
		{"an exception", "stack-scoped-names", func(f fixture) { f["Orders"].props["name"] = "Orders" }, map[string]map[string]any{"pack-settings": {"nameExceptions": []any{"Orders"}}}, nil},
		{"an alias named live, and an auto-named function's log group", "stack-scoped-names", func(f fixture) {
			f["ProcessOrderLambda"].props["name"] = "ProcessOrderLambda-9f8e7d6"
			f["ProcessOrderLambdaLogs"].props["name"] = "/aws/lambda/ProcessOrderLambda-9f8e7d6"
			f["Live"] = &resourceSpec{typ: typeAlias, props: map[string]any{"name": "live", "functionName": "ProcessOrderLambda-9f8e7d6"}}
		}, nil, nil},
		{"a log group of no function of the stack", "stack-scoped-names", func(f fixture) {
			f["ProcessOrderLambdaLogs"].props["name"] = "/aws/lambda/someone-else"
		}, nil, []string{`stack-scoped-names [ProcessOrderLambdaLogs] ProcessOrderLambdaLogs is named "/aws/lambda/someone-else", which does not carry the stack name "dev" as a word of its own; name it from the project and stack (e.g. "orderpipe-dev-ProcessOrderLambdaLogs")`}},
		{"an auto-named FIFO queue", "stack-scoped-names", func(f fixture) {
			f["OrderQueue"].props["name"] = "OrderQueue-1a2b3c4.fifo"
		}, nil, nil},
		{"a shortened name", "stack-scoped-names", func(f fixture) {
			f["ProcessOrderLambda"].props["name"] = "orderpipe-dev-feature-with-a-ve-ProcessOrderLambda-53b32fc7"
		}, nil, nil},

		{"the stack's name in another case", "stack-scoped-names", func(f fixture) {
			f["Orders"].props["name"] = "orderpipe-DEV-Orders"
		}, nil, nil},
		{"a namePrefix is no explicit name", "stack-scoped-names", func(f fixture) {
			f["Orders"].props["name"] = "orders-20261130015501234500000001"
			f["Orders"].props["namePrefix"] = "orders-"
			f["Role"] = &resourceSpec{typ: typeRole, props: map[string]any{"name": unknown, "namePrefix": "worker-"}}
		}, nil, nil},
		{"a PolicyAttachment's name is the provider's label", "stack-scoped-names", func(f fixture) {
			f["Attach"] = &resourceSpec{typ: typePolicyAttachment, props: map[string]any{"name": "attach-logs", "policyArn": "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"}}
		}, nil, nil},

		// lambda-log-retention
		{"no log group", "lambda-log-retention", func(f fixture) { delete(f, "ProcessOrderLambdaLogs") }, nil,
			[]string{"lambda-log-retention [ProcessOrderLambda] ProcessOrderLambda logs to /aws/lambda/orderpipe-dev-ProcessOrderLambda, which the stack does not declare; declare it with retentionInDays"}},
		{"no retention", "lambda-log-retention", func(f fixture) { delete(f["ProcessOrderLambdaLogs"].props, "retentionInDays") }, nil,
			[]string{"lambda-log-retention [ProcessOrderLambdaLogs] ProcessOrderLambdaLogs keeps logs forever; set retentionInDays"}},
		{"default log group", "lambda-log-retention", func(f fixture) { delete(f["ProcessOrderLambda"].props, "loggingConfig") }, nil, nil},

		// dlq-alarm
		{"no DLQ alarm", "dlq-alarm", func(f fixture) { delete(f, "DLQNotEmpty") }, nil,
			[]string{"dlq-alarm [OrderQueueDLQ] OrderQueueDLQ is the dead-letter queue of OrderQueue but no alarm watches its ApproximateNumberOfMessagesVisible"}},
		{"an alarm of metric queries", "dlq-alarm", func(f fixture) {
			f["DLQNotEmpty"].props = map[string]any{"name": "orderpipe-dev-DLQNotEmpty", "metricQueries": []any{map[string]any{
				"id": "m1", "returnData": true, "metric": map[string]any{"namespace": "AWS/SQS", "metricName": "ApproximateNumberOfMessagesVisible",
					"dimensions": map[string]any{"QueueName": "orderpipe-dev-OrderQueueDLQ"}, "period": 60, "stat": "Maximum"}}}}
		}, nil, nil},
		{"alarm on another queue", "dlq-alarm", func(f fixture) {
			f["DLQNotEmpty"].props["dimensions"] = map[string]any{"QueueName": "orderpipe-dev-OrderQueue"}
		}, nil, []string{"dlq-alarm [OrderQueueDLQ] OrderQueueDLQ is the dead-letter queue of OrderQueue but no alarm watches its ApproximateNumberOfMessagesVisible"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := goodStack()
			tt.edit(f)
			got := only(analyze(t, f.resources(), tt.config), tt.policy)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestEveryPolicyHasALevelAndADescription(t *testing.T) {
	p := &Pack{settings: DefaultSettings()}
	levels := map[string]policyx.EnforcementLevel{}
	for _, pol := range p.Policies() {
		if pol.Description() == "" {
			t.Errorf("%s has no description", pol.Name())
		}
		levels[pol.Name()] = pol.EnforcementLevel()
	}
	advisory := []string{"sqs-max-receive-count", "lambda-log-retention", "dlq-alarm", "pack-settings", "preview-unknowns",
		"sqs-sns-secure-transport", "sqs-redrive-everywhere", "lambda-tracing", "sns-subscription-redrive", "lambda-stream-on-failure"}
	for name, level := range levels {
		want := policyx.EnforcementLevelMandatory
		if slices.Contains(advisory, name) {
			want = policyx.EnforcementLevelAdvisory
		}
		if level != want {
			t.Errorf("%s is %v, want %v", name, level, want)
		}
	}
	if len(levels) != 23 {
		t.Errorf("%d policies, want the 21 rules, pack-settings and preview-unknowns", len(levels))
	}
}
