package stack_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderpipe/orderpipe/function"
	"github.com/orderpipe/orderpipe/spec"
	"github.com/orderpipe/orderpipe/stack"
)

// lambdaKeeps models Lambda's application log filter for a JSON-format
// function (AWS Lambda developer guide, "Log-level filtering"): a line whose
// JSON has no "level", and a line that is not JSON at all, count as INFO.
func lambdaKeeps(applicationLogLevel, line string) bool {
	levels := []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}
	level := "INFO"
	var m map[string]any
	if json.Unmarshal([]byte(line), &m) == nil {
		if l, ok := m["level"].(string); ok {
			level = strings.ToUpper(l)
		}
	}
	return slices.Index(levels, level) >= slices.Index(levels, applicationLogLevel)
}

// Whatever logLevel says, CloudWatch gets every metric line and a failed
// init's message: Lambda's filter drops nothing, and the handler's own
// LOG_LEVEL does the filtering.
func TestLambdaKeepsMetricsAndInitFailures(t *testing.T) {
	var emf bytes.Buffer
	(&function.EMF{W: &emf, Namespace: function.MetricsNamespace, FunctionName: "fn"}).Record(time.Now(), function.Counts{function.Stored: 1})
	lines := map[string]string{
		"EMF metric line":         strings.TrimSpace(emf.String()),
		"plain-text init failure": `invalid function configuration: ORDERS_TABLE="": must name the orders table`,
	}
	for _, level := range []string{"debug", "info", "warn", "error"} {
		r := runProgram(t, "dev", map[string]string{"logLevel": level})
		if r.err != nil {
			t.Fatal(r.err)
		}
		fn := r.get(t, tFunction, "ProcessOrderLambda")
		appLevel := input(fn, "loggingConfig").(map[string]any)["applicationLogLevel"].(string)
		for what, line := range lines {
			if !lambdaKeeps(appLevel, line) {
				t.Errorf("logLevel %s: Lambda's application log level %s drops the %s", level, appLevel, what)
			}
		}
		equal(t, "LOG_LEVEL", input(fn, "environment").(map[string]any)["variables"].(map[string]any)["LOG_LEVEL"], level)
	}
}

// With deletion protection every resource is protected in Pulumi too, so
// that a destroy deletes nothing, and the table is retained if ever deleted
// from the stack.
func TestTableProtection(t *testing.T) {
	tests := []struct {
		stack  string
		config map[string]string
		want   bool
	}{
		{"dev", nil, false},
		{"prod", nil, true},
		{"production-eu", nil, true},
		{"dev", map[string]string{"deletionProtection": "true"}, true},
		{"prod", map[string]string{"deletionProtection": "false"}, false},
	}
	for _, tt := range tests {
		r := runProgram(t, tt.stack, tt.config)
		if r.err != nil {
			t.Fatal(r.err)
		}
		table := r.get(t, tTable, "Orders")
		got := []any{input(table, "deletionProtectionEnabled"), table.Protect, table.RetainOnDelete}
		equal(t, fmt.Sprint(tt.stack, " ", tt.config, " table protection"), got, []any{tt.want, tt.want, tt.want})
		for _, res := range r.mocks.Resources() {
			if res.Protect != tt.want {
				t.Errorf("%s %s: protected %v, want %v", res.Type, res.Name, res.Protect, tt.want)
			}
			if res.Name != "Orders" && res.RetainOnDelete {
				t.Errorf("%s %s is retained on delete; only the table holds data worth leaving behind", res.Type, res.Name)
			}
		}
	}
}

// Every queue takes what SNS can deliver and no more: the handler's
// dead-letter size rule depends on it.
func TestQueuesTakeWhatSNSDelivers(t *testing.T) {
	r := runProgram(t, "dev", nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	for _, q := range []string{"OrderQueue", "OrderQueueDLQ", "OrderQueueSubscriptionDLQ"} {
		equal(t, q+" maxMessageSize", input(r.get(t, tQueue, q), "maxMessageSize"), function.MaxMessageBytes)
	}
}

// documentedDimensions are the dimension sets AWS publishes each metric the
// stack reads with (the CloudWatch metrics pages of SQS, Lambda and
// DynamoDB), and those of the handler's EMF lines. A metric read with other
// dimensions is a panel or an alarm that never shows anything.
var documentedDimensions = map[string][]string{
	"AWS/SQS ApproximateNumberOfMessagesVisible":    {"QueueName"},
	"AWS/SQS ApproximateNumberOfMessagesNotVisible": {"QueueName"},
	"AWS/SQS ApproximateAgeOfOldestMessage":         {"QueueName"},
	// SNS publishes a topic's delivery metrics per TopicName (SNS developer
	// guide, "Monitoring Amazon SNS topics using CloudWatch").
	"AWS/SNS NumberOfMessagesPublished":                 {"TopicName"},
	"AWS/SNS NumberOfNotificationsDelivered":            {"TopicName"},
	"AWS/SNS NumberOfNotificationsFailed":               {"TopicName"},
	"AWS/SNS NumberOfNotificationsRedrivenToDlq":        {"TopicName"},
	"AWS/SNS NumberOfNotificationsFailedToRedriveToDlq": {"TopicName"},
	"AWS/Lambda Invocations":                            {"FunctionName", "FunctionName,Resource", "FunctionName,ExecutedVersion"},
	"AWS/Lambda Errors":                                 {"FunctionName", "FunctionName,Resource", "FunctionName,ExecutedVersion"},
	"AWS/Lambda Throttles":                              {"FunctionName", "FunctionName,Resource", "FunctionName,ExecutedVersion"},
	"AWS/Lambda Duration":                               {"FunctionName", "FunctionName,Resource", "FunctionName,ExecutedVersion"},
	"AWS/DynamoDB ConsumedWriteCapacityUnits":           {"TableName", "TableName,GlobalSecondaryIndexName"},
	"AWS/DynamoDB ConsumedReadCapacityUnits":            {"TableName", "TableName,GlobalSecondaryIndexName"},
	"AWS/DynamoDB WriteThrottleEvents":                  {"TableName", "TableName,GlobalSecondaryIndexName"},
	"AWS/DynamoDB ReadThrottleEvents":                   {"TableName", "TableName,GlobalSecondaryIndexName"},
	"AWS/DynamoDB ThrottledRequests":                    {"TableName,Operation", "TableName,GlobalSecondaryIndexName,Operation"},
	"AWS/DynamoDB SuccessfulRequestLatency":             {"TableName,Operation"},
}

func TestEveryMetricExists(t *testing.T) {
	// The handler's own metrics: what its EMF lines declare.
	var emf bytes.Buffer
	(&function.EMF{W: &emf, Namespace: function.MetricsNamespace, FunctionName: "fn"}).Record(time.Now(), nil)
	var line struct {
		AWS struct {
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name string }
			}
		} `json:"_aws"`
	}
	if err := json.Unmarshal(emf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	documented := map[string][]string{}
	for k, v := range documentedDimensions {
		documented[k] = v
	}
	for _, d := range line.AWS.CloudWatchMetrics {
		for _, m := range d.Metrics {
			for _, dims := range d.Dimensions {
				documented[d.Namespace+" "+m.Name] = append(documented[d.Namespace+" "+m.Name], strings.Join(dims, ","))
			}
		}
	}
	check := func(where, namespace, metric string, dims []string) {
		slices.Sort(dims)
		want, ok := documented[namespace+" "+metric]
		if !ok {
			t.Errorf("%s: %s %s is not a metric this test knows; add it with its documented dimensions", where, namespace, metric)
			return
		}
		if !slices.Contains(want, strings.Join(dims, ",")) {
			t.Errorf("%s: %s %s is published with dimensions %v, not %v: it would never show a value", where, namespace, metric, want, dims)
		}
	}

	r := runProgram(t, "dev", nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	var body struct {
		Widgets []struct {
			Properties struct {
				Title   string  `json:"title"`
				Metrics [][]any `json:"metrics"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	jsonInput(t, r.get(t, tDashboard, "Overview"), "dashboardBody", &body)
	metrics := 0
	for _, w := range body.Widgets {
		for _, m := range w.Properties.Metrics {
			// [namespace, name, dimension, value, ..., options]
			var dims []string
			for i := 2; i+1 < len(m); i += 2 {
				if name, ok := m[i].(string); ok {
					dims = append(dims, name)
				}
			}
			check("dashboard panel "+w.Properties.Title, m[0].(string), m[1].(string), dims)
			metrics++
		}
	}
	for _, res := range r.mocks.Resources() {
		if res.Type != tAlarm {
			continue
		}
		dims := []string{}
		for k := range input(res, "dimensions").(map[string]any) {
			dims = append(dims, k)
		}
		check("alarm "+res.Name, input(res, "namespace").(string), input(res, "metricName").(string), dims)
		metrics++
	}
	if metrics < 15 {
		t.Fatalf("checked only %d metrics", metrics)
	}
}

// Account-global names (IAM roles, dashboards) differ between regions; the
// others are per region and stay as they were.
func TestGlobalNamesCarryTheRegion(t *testing.T) {
	for _, n := range []spec.Namer{{Project: "orderpipe", Stack: "dev"}, {Project: "orderpipe", Stack: "pr-12345-feature-with-a-very-long-branch-name"}} {
		for _, svc := range []spec.Service{spec.IAMRole, spec.CloudWatch} {
			a, b := n.Global(svc, "eu-west-1", spec.RoleName), n.Global(svc, "us-east-1", spec.RoleName)
			if a == b || len(a) > svc.MaxLen() || len(b) > svc.MaxLen() {
				t.Errorf("%s: %q and %q", n.Stack, a, b)
			}
			if !strings.Contains(a, "eu-west-1") || !strings.Contains(a, spec.RoleName) {
				t.Errorf("%q does not say its region and resource", a)
			}
		}
	}
}

// Tracing is on by default, with the two X-Ray actions it needs; off, the
// function passes traces through and the role has no X-Ray action.
func TestTracing(t *testing.T) {
	for _, tt := range []struct {
		config map[string]string
		mode   string
		xray   bool
	}{{nil, "Active", true}, {map[string]string{"tracing": "false"}, "PassThrough", false}} {
		r := runProgram(t, "dev", tt.config)
		if r.err != nil {
			t.Fatal(r.err)
		}
		equal(t, fmt.Sprint(tt.config, " tracing"), input(r.get(t, tFunction, "ProcessOrderLambda"), "tracingConfig"), map[string]any{"mode": tt.mode})
		var doc stack.PolicyDocument
		jsonInput(t, r.get(t, tRolePolicy, "ProcessOrderLambdaRolePolicy"), "policy", &doc)
		var xray []string
		for _, st := range doc.Statement {
			for _, a := range st.Action {
				if strings.HasPrefix(a, "xray:") {
					xray = append(xray, a)
				}
			}
		}
		if want := stack.TracingActions(); tt.xray && !slices.Equal(xray, want) || !tt.xray && len(xray) > 0 {
			t.Errorf("%v: X-Ray actions %v", tt.config, xray)
		}
	}
}

// Under `pulumi up` the Pulumi CLI hands the program its configuration in
// $PULUMI_CONFIG: a misspelt orderpipe key there fails the program before
// any resource is registered.
func TestUnknownKeyFailsTheProgram(t *testing.T) {
	t.Setenv("PULUMI_CONFIG", `{"aws:region":"eu-west-1","orderpipe:lambdaTimout":"5"}`)
	r := runProgram(t, "dev", map[string]string{"lambdaTimout": "5"})
	if r.err == nil || !strings.Contains(r.err.Error(), `orderpipe:lambdaTimout="5": is not an orderpipe setting; did you mean lambdaTimeout?`) {
		t.Fatalf("error %v", r.err)
	}
	if n := len(r.mocks.Resources()); n != 0 {
		t.Errorf("%d resources registered", n)
	}
}
