package stack_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orderpipe/orderpipe/spec"
	"github.com/orderpipe/orderpipe/stack"
	"github.com/orderpipe/orderpipe/stack/stacktest"
)

const (
	tTable       = "aws:dynamodb/table:Table"
	tTopic       = "aws:sns/topic:Topic"
	tQueue       = "aws:sqs/queue:Queue"
	tRedriveAll  = "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy"
	tQueuePolicy = "aws:sqs/queuePolicy:QueuePolicy"
	tSub         = "aws:sns/topicSubscription:TopicSubscription"
	tLogGroup    = "aws:cloudwatch/logGroup:LogGroup"
	tRole        = "aws:iam/role:Role"
	tRolePolicy  = "aws:iam/rolePolicy:RolePolicy"
	tFunction    = "aws:lambda/function:Function"
	tMapping     = "aws:lambda/eventSourceMapping:EventSourceMapping"
	tKey         = "aws:kms/key:Key"
	tAlarm       = "aws:cloudwatch/metricAlarm:MetricAlarm"
	tDashboard   = "aws:cloudwatch/dashboard:Dashboard"
)

// run is one run of the real program under mocks.
type run struct {
	mocks   *stacktest.Mocks
	builder *stacktest.Builder
	outputs map[string]string
	err     error
}

func runProgram(t *testing.T, stackName string, config map[string]string) run {
	t.Helper()
	return runProgramWith(t, stackName, config, stack.Options{})
}

// runProgramWith runs the program with opts and a test builder.
func runProgramWith(t *testing.T, stackName string, config map[string]string, opts stack.Options) run {
	t.Helper()
	r := run{mocks: &stacktest.Mocks{}, builder: &stacktest.Builder{Dir: t.TempDir()}, outputs: map[string]string{}}
	namespaced := map[string]string{}
	for k, v := range config {
		namespaced[spec.Namespace+":"+k] = v
	}
	r.err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		opts.Builder = r.builder
		p, err := stack.Declare(ctx, opts)
		if err != nil {
			return err
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for name, out := range p.Outputs() {
			wg.Add(1)
			out.ApplyT(func(v string) string {
				mu.Lock()
				r.outputs[name] = v
				mu.Unlock()
				wg.Done()
				return v
			})
		}
		wg.Wait()
		return nil
	}, pulumi.WithMocks("orderpipe", stackName, r.mocks), stacktest.WithConfig(namespaced))
	return r
}

func (r run) get(t *testing.T, typ, name string) stacktest.Resource {
	t.Helper()
	res, ok := r.mocks.Get(typ, name)
	if !ok {
		t.Fatalf("no %s %q registered", typ, name)
	}
	return res
}

func input(res stacktest.Resource, key string) any {
	v, ok := res.Inputs[resource.PropertyKey(key)]
	if !ok {
		return nil
	}
	return v.Mappable()
}

func output(res stacktest.Resource, key string) string {
	return res.Outputs[resource.PropertyKey(key)].StringValue()
}

// jsonInput decodes a JSON document held in a string input.
func jsonInput(t *testing.T, res stacktest.Resource, key string, into any) {
	t.Helper()
	s, ok := input(res, key).(string)
	if !ok {
		t.Fatalf("%s %s: input %s is %T, want a JSON string", res.Type, res.Name, key, input(res, key))
	}
	if err := json.Unmarshal([]byte(s), into); err != nil {
		t.Fatalf("%s %s: input %s: %v\n%s", res.Type, res.Name, key, err, s)
	}
}

func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("%s = %s, want %s", what, g, w)
	}
}

func TestDefaultStack(t *testing.T) {
	r := runProgram(t, "dev", nil)
	if r.err != nil {
		t.Fatal(r.err)
	}

	table := r.get(t, tTable, "Orders")
	equal(t, "table name", input(table, "name"), "orderpipe-dev-Orders")
	equal(t, "table billing", input(table, "billingMode"), "PAY_PER_REQUEST")
	equal(t, "table hash key", input(table, "hashKey"), "orderId")
	equal(t, "table attributes", input(table, "attributes"), []any{map[string]any{"name": "orderId", "type": "S"}})
	equal(t, "table PITR", input(table, "pointInTimeRecovery"), map[string]any{"enabled": true})
	equal(t, "table SSE", input(table, "serverSideEncryption"), map[string]any{"enabled": true})
	equal(t, "table deletion protection on dev", input(table, "deletionProtectionEnabled"), false)

	topic := r.get(t, tTopic, "OrderTopic")
	equal(t, "topic name", input(topic, "name"), "orderpipe-dev-OrderTopic")
	equal(t, "topic key", input(topic, "kmsMasterKeyId"), "alias/aws/sns")

	dlq := r.get(t, tQueue, "OrderQueueDLQ")
	equal(t, "DLQ name", input(dlq, "name"), "orderpipe-dev-OrderQueueDLQ")
	equal(t, "DLQ retention", input(dlq, "messageRetentionSeconds"), 1209600)
	equal(t, "DLQ SSE-SQS", input(dlq, "sqsManagedSseEnabled"), true)

	queue := r.get(t, tQueue, "OrderQueue")
	equal(t, "queue name", input(queue, "name"), "orderpipe-dev-OrderQueue")
	equal(t, "queue visibility", input(queue, "visibilityTimeoutSeconds"), 180)
	equal(t, "queue retention", input(queue, "messageRetentionSeconds"), 345600)
	equal(t, "queue SSE-SQS", input(queue, "sqsManagedSseEnabled"), true)
	var redrive map[string]any
	jsonInput(t, queue, "redrivePolicy", &redrive)
	equal(t, "redrive policy", redrive, map[string]any{"deadLetterTargetArn": output(dlq, "arn"), "maxReceiveCount": 3})

	allow := r.get(t, tRedriveAll, "OrderQueueDLQRedriveAllow")
	equal(t, "redrive-allow queue", input(allow, "queueUrl"), output(dlq, "url"))
	var allowDoc map[string]any
	jsonInput(t, allow, "redriveAllowPolicy", &allowDoc)
	equal(t, "redrive-allow policy", allowDoc, map[string]any{"redrivePermission": "byQueue", "sourceQueueArns": []string{output(queue, "arn")}})

	qp := r.get(t, tQueuePolicy, "OrderQueuePolicy")
	equal(t, "queue policy queue", input(qp, "queueUrl"), output(queue, "url"))
	var qdoc stack.PolicyDocument
	jsonInput(t, qp, "policy", &qdoc)
	equal(t, "queue policy", qdoc.Statement, []stack.Statement{{
		Sid: "AllowOrderTopic", Effect: "Allow", Principal: map[string]string{"Service": "sns.amazonaws.com"},
		Action: []string{"sqs:SendMessage"}, Resource: []string{output(queue, "arn")},
		Condition: map[string]map[string]string{"ArnEquals": {"aws:SourceArn": output(topic, "arn")}},
	}, {
		Sid: "DenyInsecureTransport", Effect: "Deny", Principal: map[string]string{"AWS": "*"},
		Action: []string{"sqs:*"}, Resource: []string{output(queue, "arn")},
		Condition: map[string]map[string]string{"Bool": {"aws:SecureTransport": "false"}},
	}})

	// What SNS cannot deliver goes to a queue of its own: encrypted with a
	// key SNS may use for this topic only (SNS cannot use alias/aws/sqs),
	// kept 14 days, and open to this topic only.
	subDLQ := r.get(t, tQueue, "OrderQueueSubscriptionDLQ")
	subKey := r.get(t, tKey, "OrderQueueSubscriptionDLQKey")
	equal(t, "subscription DLQ", map[string]any{"name": input(subDLQ, "name"), "retention": input(subDLQ, "messageRetentionSeconds"),
		"key": input(subDLQ, "kmsMasterKeyId"), "sse-sqs": input(subDLQ, "sqsManagedSseEnabled"), "maxMessageSize": input(subDLQ, "maxMessageSize")},
		map[string]any{"name": "orderpipe-dev-OrderQueueSubscriptionDLQ", "retention": 1209600, "key": output(subKey, "arn"), "sse-sqs": nil, "maxMessageSize": 262144})
	equal(t, "subscription DLQ key rotation", input(subKey, "enableKeyRotation"), true)
	var subKeyDoc stack.PolicyDocument
	jsonInput(t, subKey, "policy", &subKeyDoc)
	equal(t, "subscription DLQ key policy", subKeyDoc.Statement, []stack.Statement{{
		Sid: "AccountAdministers", Effect: "Allow", Principal: map[string]string{"AWS": "arn:aws:iam::123456789012:root"},
		Action: []string{"kms:*"}, Resource: []string{"*"},
	}, {
		Sid: "OrderTopicRedrives", Effect: "Allow", Principal: map[string]string{"Service": "sns.amazonaws.com"},
		Action: []string{"kms:Decrypt", "kms:GenerateDataKey*"}, Resource: []string{"*"},
		Condition: map[string]map[string]string{"ArnEquals": {"aws:SourceArn": output(topic, "arn")}},
	}})
	subQP := r.get(t, tQueuePolicy, "OrderQueueSubscriptionDLQPolicy")
	equal(t, "subscription DLQ policy queue", input(subQP, "queueUrl"), output(subDLQ, "url"))
	var subQDoc stack.PolicyDocument
	jsonInput(t, subQP, "policy", &subQDoc)
	equal(t, "subscription DLQ policy", subQDoc.Statement, []stack.Statement{{
		Sid: "AllowOrderTopic", Effect: "Allow", Principal: map[string]string{"Service": "sns.amazonaws.com"},
		Action: []string{"sqs:SendMessage"}, Resource: []string{output(subDLQ, "arn")},
		Condition: map[string]map[string]string{"ArnEquals": {"aws:SourceArn": output(topic, "arn")}},
	}, {
		Sid: "DenyInsecureTransport", Effect: "Deny", Principal: map[string]string{"AWS": "*"},
		Action: []string{"sqs:*"}, Resource: []string{output(subDLQ, "arn")},
		Condition: map[string]map[string]string{"Bool": {"aws:SecureTransport": "false"}},
	}})

	sub := r.get(t, tSub, "OrderQueueSubscription")
	equal(t, "subscription", map[string]any{"topic": input(sub, "topic"), "protocol": input(sub, "protocol"), "endpoint": input(sub, "endpoint"), "raw": input(sub, "rawMessageDelivery")},
		map[string]any{"topic": output(topic, "arn"), "protocol": "sqs", "endpoint": output(queue, "arn"), "raw": true})
	var subRedrive map[string]any
	jsonInput(t, sub, "redrivePolicy", &subRedrive)
	equal(t, "subscription redrive policy", subRedrive, map[string]any{"deadLetterTargetArn": output(subDLQ, "arn")})

	logs := r.get(t, tLogGroup, "ProcessOrderLambdaLogs")
	equal(t, "log group name", input(logs, "name"), "/aws/lambda/orderpipe-dev-ProcessOrderLambda")
	equal(t, "log retention", input(logs, "retentionInDays"), 30)

	role := r.get(t, tRole, "ProcessOrderLambdaRole")
	// IAM names are unique in the account, not per region: the role carries
	// the region.
	equal(t, "role name", input(role, "name"), "orderpipe-dev-eu-west-1-ProcessOrderLambdaRole")
	var trust stack.PolicyDocument
	jsonInput(t, role, "assumeRolePolicy", &trust)
	equal(t, "no permissions boundary unless configured", input(role, "permissionsBoundary"), nil)
	equal(t, "trust policy", trust.Statement, []stack.Statement{{Effect: "Allow", Principal: map[string]string{"Service": "lambda.amazonaws.com"}, Action: []string{"sts:AssumeRole"}}})

	fn := r.get(t, tFunction, "ProcessOrderLambda")
	equal(t, "function", map[string]any{
		"name": input(fn, "name"), "runtime": input(fn, "runtime"), "handler": input(fn, "handler"),
		"architectures": input(fn, "architectures"), "timeout": input(fn, "timeout"), "memorySize": input(fn, "memorySize"),
		"role": input(fn, "role"), "environment": input(fn, "environment"), "loggingConfig": input(fn, "loggingConfig"),
		"tracingConfig": input(fn, "tracingConfig"),
	}, map[string]any{
		"name": "orderpipe-dev-ProcessOrderLambda", "runtime": "provided.al2023", "handler": "bootstrap",
		"architectures": []string{"arm64"}, "timeout": 30, "memorySize": 512, "role": output(role, "arn"),
		"environment":   map[string]any{"variables": map[string]any{"DLQ_URL": output(dlq, "url"), "HANDLER_CONCURRENCY": "10", "LOG_LEVEL": "info", "ORDERS_TABLE": "orderpipe-dev-Orders"}},
		"loggingConfig": map[string]any{"applicationLogLevel": "TRACE", "logFormat": "JSON", "logGroup": "/aws/lambda/orderpipe-dev-ProcessOrderLambda", "systemLogLevel": "INFO"},
		"tracingConfig": map[string]any{"mode": "Active"},
	})
	if code, ok := input(fn, "code").(*resource.Archive); !ok || code.Path != r.builder.Dir+"/arm64.zip" {
		t.Errorf("function code is %#v, want the archive the builder made", input(fn, "code"))
	}
	equal(t, "architectures built", r.builder.Archs(), []string{"arm64"})

	m := r.get(t, tMapping, "OrderQueueMapping")
	equal(t, "mapping", map[string]any{
		"eventSourceArn": input(m, "eventSourceArn"), "functionName": input(m, "functionName"),
		"batchSize": input(m, "batchSize"), "window": input(m, "maximumBatchingWindowInSeconds"),
		"responseTypes": input(m, "functionResponseTypes"), "scaling": input(m, "scalingConfig"),
	}, map[string]any{
		"eventSourceArn": output(queue, "arn"), "functionName": output(fn, "arn"), "batchSize": 10, "window": 0,
		"responseTypes": []string{"ReportBatchItemFailures"}, "scaling": map[string]any{"maximumConcurrency": 10},
	})

	key := r.get(t, tKey, "AlarmTopicKey")
	equal(t, "key rotation", input(key, "enableKeyRotation"), true)
	var keyDoc stack.PolicyDocument
	jsonInput(t, key, "policy", &keyDoc)
	equal(t, "key principals", []any{keyDoc.Statement[0].Principal, keyDoc.Statement[1].Principal},
		[]any{map[string]string{"AWS": "arn:aws:iam::123456789012:root"}, map[string]string{"Service": "cloudwatch.amazonaws.com"}})
	alarmTopic := r.get(t, tTopic, "AlarmTopic")
	equal(t, "alarm topic name", input(alarmTopic, "name"), "orderpipe-dev-AlarmTopic")
	equal(t, "alarm topic key", input(alarmTopic, "kmsMasterKeyId"), output(key, "arn"))
	if _, ok := r.mocks.Get(tSub, "AlarmTopicEmail"); ok {
		t.Error("an e-mail subscription exists without alarmEmail")
	}

	alarms := map[string][]any{
		"DLQNotEmpty":                       {"AWS/SQS", "ApproximateNumberOfMessagesVisible", map[string]any{"QueueName": "orderpipe-dev-OrderQueueDLQ"}, "GreaterThanOrEqualToThreshold", 1},
		"FunctionErrors":                    {"AWS/Lambda", "Errors", map[string]any{"FunctionName": "orderpipe-dev-ProcessOrderLambda"}, "GreaterThanOrEqualToThreshold", 1},
		"OldestMessageAge":                  {"AWS/SQS", "ApproximateAgeOfOldestMessage", map[string]any{"QueueName": "orderpipe-dev-OrderQueue"}, "GreaterThanThreshold", 600},
		"SubscriptionDLQNotEmpty":           {"AWS/SQS", "ApproximateNumberOfMessagesVisible", map[string]any{"QueueName": "orderpipe-dev-OrderQueueSubscriptionDLQ"}, "GreaterThanOrEqualToThreshold", 1},
		"NotificationsFailed":               {"AWS/SNS", "NumberOfNotificationsFailed", map[string]any{"TopicName": "orderpipe-dev-OrderTopic"}, "GreaterThanOrEqualToThreshold", 1},
		"NotificationsFailedToRedriveToDlq": {"AWS/SNS", "NumberOfNotificationsFailedToRedriveToDlq", map[string]any{"TopicName": "orderpipe-dev-OrderTopic"}, "GreaterThanOrEqualToThreshold", 1},
	}
	for name, want := range alarms {
		a := r.get(t, tAlarm, name)
		equal(t, "alarm "+name, []any{input(a, "namespace"), input(a, "metricName"), input(a, "dimensions"), input(a, "comparisonOperator"), input(a, "threshold")}, want)
		equal(t, "alarm "+name+" name", input(a, "name"), "orderpipe-dev-"+name)
		equal(t, "alarm "+name+" actions", []any{input(a, "alarmActions"), input(a, "okActions")}, []any{[]string{output(alarmTopic, "arn")}, []string{output(alarmTopic, "arn")}})
	}

	dash := r.get(t, tDashboard, "Overview")
	equal(t, "dashboard name", input(dash, "dashboardName"), "orderpipe-dev-eu-west-1-Overview")
	var body struct {
		Widgets []struct {
			Properties struct {
				Title   string  `json:"title"`
				Region  string  `json:"region"`
				Metrics [][]any `json:"metrics"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	jsonInput(t, dash, "dashboardBody", &body)
	shown := map[string]bool{}
	for _, w := range body.Widgets {
		equal(t, "widget "+w.Properties.Title+" region", w.Properties.Region, stacktest.Region)
		for _, m := range w.Properties.Metrics {
			shown[fmt.Sprint(m[0], " ", m[1], " ", m[3])] = true
		}
	}
	for _, want := range []string{
		"AWS/SQS ApproximateNumberOfMessagesVisible orderpipe-dev-OrderQueue",
		"AWS/SQS ApproximateAgeOfOldestMessage orderpipe-dev-OrderQueue",
		"AWS/SQS ApproximateNumberOfMessagesVisible orderpipe-dev-OrderQueueDLQ",
		"AWS/SQS ApproximateNumberOfMessagesVisible orderpipe-dev-OrderQueueSubscriptionDLQ",
		"AWS/SNS NumberOfNotificationsFailed orderpipe-dev-OrderTopic",
		"AWS/SNS NumberOfNotificationsRedrivenToDlq orderpipe-dev-OrderTopic",
		"AWS/SNS NumberOfNotificationsFailedToRedriveToDlq orderpipe-dev-OrderTopic",
		"AWS/Lambda Invocations orderpipe-dev-ProcessOrderLambda",
		"AWS/Lambda Errors orderpipe-dev-ProcessOrderLambda",
		"AWS/Lambda Duration orderpipe-dev-ProcessOrderLambda",
		"AWS/Lambda Throttles orderpipe-dev-ProcessOrderLambda",
		"AWS/DynamoDB ConsumedWriteCapacityUnits orderpipe-dev-Orders",
		"orderpipe OrdersStored orderpipe-dev-ProcessOrderLambda",
		"orderpipe OrdersRejected orderpipe-dev-ProcessOrderLambda",
		"orderpipe OrdersFailed orderpipe-dev-ProcessOrderLambda",
	} {
		if !shown[want] {
			t.Errorf("dashboard lacks %s; it shows %v", want, slices.Sorted(maps.Keys(shown)))
		}
	}

	equal(t, "outputs", r.outputs, map[string]string{
		"topicArn":           output(topic, "arn"),
		"queueUrl":           output(queue, "url"),
		"dlqUrl":             output(dlq, "url"),
		"subscriptionDlqUrl": output(subDLQ, "url"),
		"tableName":          "orderpipe-dev-Orders",
		"functionName":       "orderpipe-dev-ProcessOrderLambda",
		"alarmTopicArn":      output(alarmTopic, "arn"),
		"dashboardName":      "orderpipe-dev-eu-west-1-Overview",
	})
}

// Tags of the caller (an ephemeral environment's) go on every taggable
// resource; they cannot change the project and stack tags the janitor and
// cost reports rely on.
func TestExtraTags(t *testing.T) {
	r := runProgramWith(t, "pr-3-abc", nil, stack.Options{Tags: map[string]string{"orderpipe:ephemeral": "true", "stack": "prod"}})
	if r.err != nil {
		t.Fatal(r.err)
	}
	want := map[string]any{"project": "orderpipe", "stack": "pr-3-abc", "managed-by": "pulumi", "orderpipe:ephemeral": "true"}
	tagged := 0
	for _, res := range r.mocks.Resources() {
		if tags := input(res, "tags"); tags != nil {
			tagged++
			equal(t, res.Type+" "+res.Name+" tags", tags, want)
		}
	}
	if tagged < 9 {
		t.Errorf("%d resources tagged", tagged)
	}
}

// The exact resources of the program: adding one without deciding whether it
// is tagged fails here.
func TestResourcesAndTags(t *testing.T) {
	r := runProgram(t, "dev", map[string]string{"alarmEmail": "ops@example.com"})
	if r.err != nil {
		t.Fatal(r.err)
	}
	tagged := map[string]bool{
		tTable: true, tTopic: true, tQueue: true, tLogGroup: true, tRole: true, tFunction: true,
		tMapping: true, tKey: true, tAlarm: true,
		// These take no tags in AWS.
		tRedriveAll: false, tQueuePolicy: false, tSub: false, tRolePolicy: false, tDashboard: false,
	}
	wantTags := map[string]any{"project": "orderpipe", "stack": "dev", "managed-by": "pulumi"}
	var got []string
	var component string
	for _, res := range r.mocks.Resources() {
		got = append(got, res.Type+" "+res.Name)
		if res.Type == stack.PipelineType {
			component = res.Name
			continue
		}
		isTagged, known := tagged[res.Type]
		switch {
		case !known:
			t.Errorf("%s %s: type not classified as taggable or not", res.Type, res.Name)
		case isTagged:
			equal(t, res.Type+" "+res.Name+" tags", input(res, "tags"), wantTags)
		}
		if !strings.Contains(res.Parent, stack.PipelineType) {
			t.Errorf("%s %s has parent %q, want the OrderPipeline component", res.Type, res.Name, res.Parent)
		}
	}
	slices.Sort(got)
	want := []string{
		tAlarm + " DLQNotEmpty", tAlarm + " FunctionErrors", tAlarm + " OldestMessageAge",
		tAlarm + " SubscriptionDLQNotEmpty", tAlarm + " NotificationsFailed", tAlarm + " NotificationsFailedToRedriveToDlq",
		tQueue + " OrderQueueSubscriptionDLQ", tKey + " OrderQueueSubscriptionDLQKey", tQueuePolicy + " OrderQueueSubscriptionDLQPolicy",
		tDashboard + " Overview", tLogGroup + " ProcessOrderLambdaLogs", tTable + " Orders",
		tRole + " ProcessOrderLambdaRole", tRolePolicy + " ProcessOrderLambdaRolePolicy", tKey + " AlarmTopicKey",
		tMapping + " OrderQueueMapping", tFunction + " ProcessOrderLambda",
		tSub + " AlarmTopicEmail", tSub + " OrderQueueSubscription", tTopic + " AlarmTopic", tTopic + " OrderTopic",
		tQueue + " OrderQueue", tQueue + " OrderQueueDLQ", tQueuePolicy + " OrderQueuePolicy", tRedriveAll + " OrderQueueDLQRedriveAllow",
		stack.PipelineType + " orderpipe",
	}
	slices.Sort(want)
	equal(t, "resources", got, want)
	equal(t, "component name", component, "orderpipe")
	email := r.get(t, tSub, "AlarmTopicEmail")
	equal(t, "alarm e-mail", []any{input(email, "protocol"), input(email, "endpoint")}, []any{"email", "ops@example.com"})
}

// The order in which AWS must see the resources.
func TestCreationOrder(t *testing.T) {
	r := runProgram(t, "dev", nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	tests := []struct {
		typ, name, waitsForType, waitsForName, why string
	}{
		{tFunction, "ProcessOrderLambda", tLogGroup, "ProcessOrderLambdaLogs", "Lambda would create the log group itself, without a retention"},
		{tFunction, "ProcessOrderLambda", tRolePolicy, "ProcessOrderLambdaRolePolicy", "the function would start without its permissions"},
		{tMapping, "OrderQueueMapping", tRolePolicy, "ProcessOrderLambdaRolePolicy", "the mapping checks the role's SQS permissions when it is created"},
		{tSub, "OrderQueueSubscription", tQueuePolicy, "OrderQueuePolicy", "SNS could not deliver to the queue yet"},
		{tSub, "OrderQueueSubscription", tQueuePolicy, "OrderQueueSubscriptionDLQPolicy", "SNS could not redrive a failed delivery yet: it would be lost"},
		{tRedriveAll, "OrderQueueDLQRedriveAllow", tQueue, "OrderQueue", "it names the source queue's ARN"},
	}
	for _, tt := range tests {
		if !r.get(t, tt.typ, tt.name).DependsOn(tt.waitsForType, tt.waitsForName) {
			t.Errorf("%s does not wait for %s: %s", tt.name, tt.waitsForName, tt.why)
		}
	}
}

func TestFunctionPolicyIsLeastPrivilege(t *testing.T) {
	r := runProgram(t, "dev", nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	arn := func(typ, name string) string { return output(r.get(t, typ, name), "arn") }
	rp := r.get(t, tRolePolicy, "ProcessOrderLambdaRolePolicy")
	equal(t, "role policy role", input(rp, "role"), "orderpipe-dev-eu-west-1-ProcessOrderLambdaRole")
	var doc stack.PolicyDocument
	jsonInput(t, rp, "policy", &doc)

	logStreams := arn(tLogGroup, "ProcessOrderLambdaLogs") + ":log-stream:*"
	want := map[string][]string{ // action → the only resource it may name
		"dynamodb:PutItem":         {arn(tTable, "Orders")},
		"dynamodb:GetItem":         {arn(tTable, "Orders")},
		"sqs:ReceiveMessage":       {arn(tQueue, "OrderQueue")},
		"sqs:DeleteMessage":        {arn(tQueue, "OrderQueue")},
		"sqs:GetQueueAttributes":   {arn(tQueue, "OrderQueue")},
		"sqs:SendMessage":          {arn(tQueue, "OrderQueueDLQ")},
		"logs:CreateLogStream":     {logStreams},
		"logs:PutLogEvents":        {logStreams},
		"xray:PutTraceSegments":    {"*"},
		"xray:PutTelemetryRecords": {"*"},
	}
	got := map[string][]string{}
	for _, st := range doc.Statement {
		if st.Effect != "Allow" || st.Condition != nil || st.Principal != nil {
			t.Errorf("statement %s: unexpected effect/condition/principal: %+v", st.Sid, st)
		}
		for _, a := range st.Action {
			if strings.Contains(a, "*") {
				t.Errorf("statement %s: wildcard action %q", st.Sid, a)
			}
			for _, res := range st.Resource {
				// The patterns allowed: log streams in the function's own
				// log group, which Lambda names itself, and "*" for X-Ray's
				// actions, which have no resource-level permissions.
				if strings.Contains(res, "*") && res != logStreams && !(res == "*" && strings.HasPrefix(a, "xray:")) {
					t.Errorf("statement %s: wildcard resource %q", st.Sid, res)
				}
				got[a] = append(got[a], res)
			}
		}
	}
	equal(t, "actions and resources", got, want)
}

func TestQueueVisibilityTimeout(t *testing.T) {
	tests := []struct {
		config map[string]string
		want   int
	}{
		{map[string]string{}, 180},
		{map[string]string{"lambdaTimeout": "10"}, 60},
		{map[string]string{"lambdaTimeout": "60", "batchWindow": "30"}, 390},
		{map[string]string{"lambdaTimeout": "900", "batchWindow": "300"}, 5700},
		{map[string]string{"lambdaTimeout": "30", "visibilityTimeout": "45"}, 45},
	}
	for _, tt := range tests {
		r := runProgram(t, "dev", tt.config)
		if r.err != nil {
			t.Fatalf("%v: %v", tt.config, r.err)
		}
		equal(t, fmt.Sprint("visibility for ", tt.config), input(r.get(t, tQueue, "OrderQueue"), "visibilityTimeoutSeconds"), tt.want)
	}
}

func TestConfigReachesResources(t *testing.T) {
	r := runProgram(t, "prod", map[string]string{
		"architecture": "x86_64", "lambdaMemory": "1024", "lambdaTimeout": "60", "maxReceiveCount": "5",
		"batchSize": "50", "batchWindow": "10", "maxConcurrency": "20", "rawMessageDelivery": "false",
		"logRetentionDays": "365", "logLevel": "warn", "handlerConcurrency": "4", "queueAgeAlarm": "900", "dlqRetention": "1000000", "queueRetention": "500000",
		"permissionsBoundary": "arn:aws:iam::123456789012:policy/orderpipe-ci-boundary",
	})
	if r.err != nil {
		t.Fatal(r.err)
	}
	fn := r.get(t, tFunction, "ProcessOrderLambda")
	equal(t, "architecture", input(fn, "architectures"), []string{"x86_64"})
	equal(t, "architectures built", r.builder.Archs(), []string{"x86_64"})
	equal(t, "memory", input(fn, "memorySize"), 1024)
	equal(t, "handler concurrency", input(fn, "environment").(map[string]any)["variables"].(map[string]any)["HANDLER_CONCURRENCY"], "4")
	equal(t, "log level", input(fn, "environment").(map[string]any)["variables"].(map[string]any)["LOG_LEVEL"], "warn")
	equal(t, "Lambda's log level", input(fn, "loggingConfig").(map[string]any)["applicationLogLevel"], "TRACE")
	table := r.get(t, tTable, "Orders")
	equal(t, "prod deletion protection", input(table, "deletionProtectionEnabled"), true)
	equal(t, "prod table protected and retained in Pulumi", []bool{table.Protect, table.RetainOnDelete}, []bool{true, true})
	queue := r.get(t, tQueue, "OrderQueue")
	var redrive map[string]any
	jsonInput(t, queue, "redrivePolicy", &redrive)
	equal(t, "max receive count", redrive["maxReceiveCount"], 5)
	equal(t, "visibility", input(queue, "visibilityTimeoutSeconds"), 370)
	equal(t, "retentions", []any{input(queue, "messageRetentionSeconds"), input(r.get(t, tQueue, "OrderQueueDLQ"), "messageRetentionSeconds")}, []any{500000, 1000000})
	m := r.get(t, tMapping, "OrderQueueMapping")
	equal(t, "mapping", []any{input(m, "batchSize"), input(m, "maximumBatchingWindowInSeconds"), input(m, "scalingConfig")}, []any{50, 10, map[string]any{"maximumConcurrency": 20}})
	equal(t, "raw delivery", input(r.get(t, tSub, "OrderQueueSubscription"), "rawMessageDelivery"), false)
	equal(t, "log retention", input(r.get(t, tLogGroup, "ProcessOrderLambdaLogs"), "retentionInDays"), 365)
	equal(t, "age alarm", input(r.get(t, tAlarm, "OldestMessageAge"), "threshold"), 900)
	equal(t, "permissions boundary", input(r.get(t, tRole, "ProcessOrderLambdaRole"), "permissionsBoundary"), "arn:aws:iam::123456789012:policy/orderpipe-ci-boundary")
}

func TestInvalidConfigRegistersNothing(t *testing.T) {
	r := runProgram(t, "dev", map[string]string{"lambdaTimeout": "30", "visibilityTimeout": "10", "lambdaMemory": "64"})
	var ce spec.ConfigError
	if !errors.As(r.err, &ce) {
		t.Fatalf("error %v, want a ConfigError", r.err)
	}
	if len(ce) != 2 || ce[0].Key != "lambdaMemory" || ce[1].Key != "visibilityTimeout" {
		t.Errorf("problems %v, want lambdaMemory and visibilityTimeout", ce)
	}
	if n := len(r.mocks.Resources()); n != 0 {
		t.Errorf("%d resources registered despite the invalid configuration", n)
	}
	if n := len(r.builder.Archs()); n != 0 {
		t.Errorf("function built despite the invalid configuration")
	}
}

// Two stacks in one account: no physical name may be shared, and names stay
// within each service's limit for long pull-request stacks.
func TestStacksNeverShareNames(t *testing.T) {
	limits := map[string]int{tFunction: 64, tRole: 64, tQueue: 80, tTopic: 256, tTable: 255, tAlarm: 255}
	owner := map[string]string{}
	for _, s := range []string{"dev", "prod", "pr-12345-feature-with-a-very-long-branch-name", "pr-12346-feature-with-a-very-long-branch-name"} {
		r := runProgram(t, s, nil)
		if r.err != nil {
			t.Fatalf("stack %s: %v", s, r.err)
		}
		for _, res := range r.mocks.Resources() {
			name, _ := input(res, "name").(string)
			if name == "" {
				name, _ = input(res, "dashboardName").(string)
			}
			if name == "" {
				continue
			}
			if max, ok := limits[res.Type]; ok && len(name) > max {
				t.Errorf("stack %s: %s name %q is %d characters, over %d", s, res.Type, name, len(name), max)
			}
			key := res.Type + " " + strings.ToLower(name)
			if other, ok := owner[key]; ok {
				t.Errorf("%s name %q of stack %s is also stack %s's", res.Type, name, s, other)
			}
			owner[key] = s
		}
	}
}
