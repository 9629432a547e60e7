package rules

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/orderpipe/orderpipe/policy/corpus"
	"github.com/orderpipe/orderpipe/spec"
)

// The AWS managed keys are named by alias (alias/aws/<service>) or by the
// alias's ARN in any partition (AWS KMS developer guide, "Key identifiers":
// alias name and alias ARN); anything else is a key of the account's own.
func TestAWSManagedKey(t *testing.T) {
	tests := []struct {
		ref, service string
		want         bool
	}{
		{"alias/aws/sqs", "sqs", true},
		{"arn:aws:kms:eu-west-1:123456789012:alias/aws/sqs", "sqs", true},
		{"arn:aws-us-gov:kms:us-gov-west-1:123456789012:alias/aws/sqs", "sqs", true},
		{"arn:aws-cn:kms:cn-north-1:123456789012:alias/aws/sns", "sns", true},
		{"alias/aws/sns", "sqs", false},
		{"alias/aws/sqs-team", "sqs", false},
		{"alias/team/aws/sqs", "sqs", false},
		{"alias/orders", "sqs", false},
		{"arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", "sqs", false},
		{"1234abcd-12ab-34cd-56ef-1234567890ab", "sns", false},
		{"arn:aws:sns:eu-west-1:123456789012:alias/aws/sns", "sns", false}, // not a KMS ARN
		{"", "sqs", false},
	}
	for _, tt := range tests {
		if got := awsManagedKey(tt.ref, tt.service); got != tt.want {
			t.Errorf("awsManagedKey(%q, %q) = %v, want %v", tt.ref, tt.service, got, tt.want)
		}
	}
}

// reportsOf are the reports of policy and the checks it deferred, one a
// line.
func reportsOf(reports []string, policy string) []string {
	out := only(reports, policy)
	for _, r := range only(reports, "preview-unknowns") {
		for _, l := range strings.Split(strings.TrimPrefix(r, "preview-unknowns [] "), "\n") {
			if strings.HasPrefix(l, policy+":") {
				out = append(out, "deferred: "+l)
			}
		}
	}
	return out
}

func sub(name string, props map[string]any, deps map[string][]string) policyx.AnalyzerResource {
	return res(typeTopicSubscribe, name, props, deps)
}

const jobsArn = "arn:aws:sqs:eu-west-1:123456789012:jobs"

func TestSNSToManagedSQSKey(t *testing.T) {
	jobs := func(key any) policyx.AnalyzerResource {
		return res(typeQueue, "Jobs", map[string]any{"arn": jobsArn, "kmsMasterKeyId": key}, nil)
	}
	dlq := func(key any) policyx.AnalyzerResource {
		return res(typeQueue, "Dlq", map[string]any{"arn": jobsArn + "-dlq", "kmsMasterKeyId": key}, nil)
	}
	redrive := `{"deadLetterTargetArn":"` + jobsArn + `-dlq"}`
	tests := []struct {
		name string
		rs   []policyx.AnalyzerResource
		want []string
	}{
		{"SSE-SQS queue", []policyx.AnalyzerResource{jobs(nil), sub("Sub", map[string]any{"protocol": "sqs", "endpoint": jobsArn}, nil)}, nil},
		{"a key of its own", []policyx.AnalyzerResource{jobs("alias/jobs"), sub("Sub", map[string]any{"protocol": "sqs", "endpoint": jobsArn}, nil)}, nil},
		{"alias/aws/sqs, by literal ARN", []policyx.AnalyzerResource{jobs("alias/aws/sqs"), sub("Sub", map[string]any{"protocol": "sqs", "endpoint": jobsArn}, nil)},
			[]string{"sns-sqs-aws-managed-key [Sub] Sub delivers to Jobs, which is encrypted with the AWS managed key alias/aws/sqs that SNS cannot use, so SNS drops those messages; encrypt the queue with SSE-SQS (sqsManagedSseEnabled: true) or a customer managed key whose policy lets sns.amazonaws.com use kms:GenerateDataKey* and kms:Decrypt"}},
		{"alias ARN, the endpoint unknown but a dependency", []policyx.AnalyzerResource{
			jobs("arn:aws:kms:eu-west-1:123456789012:alias/aws/sqs"),
			sub("Sub", map[string]any{"protocol": "sqs", "endpoint": unknown}, map[string][]string{"endpoint": {typeQueue + " Jobs"}})},
			[]string{"sns-sqs-aws-managed-key [Sub] Sub delivers to Jobs, which is encrypted with the AWS managed key arn:aws:kms:eu-west-1:123456789012:alias/aws/sqs that SNS cannot use, so SNS drops those messages; encrypt the queue with SSE-SQS (sqsManagedSseEnabled: true) or a customer managed key whose policy lets sns.amazonaws.com use kms:GenerateDataKey* and kms:Decrypt"}},
		{"the subscription's DLQ under alias/aws/sqs", []policyx.AnalyzerResource{jobs(nil), dlq("alias/aws/sqs"),
			sub("Sub", map[string]any{"protocol": "sqs", "endpoint": jobsArn, "redrivePolicy": redrive}, nil)},
			[]string{"sns-sqs-aws-managed-key [Sub] Sub redrives failed deliveries to Dlq, which is encrypted with the AWS managed key alias/aws/sqs that SNS cannot use, so SNS drops those messages; encrypt the dead-letter queue with a customer managed key whose policy lets sns.amazonaws.com use kms:GenerateDataKey* and kms:Decrypt"}},
		{"a Lambda subscription whose DLQ is under alias/aws/sqs", []policyx.AnalyzerResource{dlq("alias/aws/sqs"),
			sub("Sub", map[string]any{"protocol": "lambda", "endpoint": "arn:aws:lambda:eu-west-1:123456789012:function:f", "redrivePolicy": redrive}, nil)},
			nil}, // only SQS subscriptions are this rule's; see the notes below
		{"a queue of another stack", []policyx.AnalyzerResource{jobs("alias/aws/sqs"), sub("Sub", map[string]any{"protocol": "sqs", "endpoint": "arn:aws:sqs:eu-west-1:210987654321:theirs"}, nil)}, nil},
		{"the queue's key unknown", []policyx.AnalyzerResource{jobs(unknown), sub("Sub", map[string]any{"protocol": "sqs", "endpoint": jobsArn}, nil)},
			[]string{"deferred: sns-sqs-aws-managed-key: Jobs not checked: its key is unknown until apply"}},
		{"the protocol unknown", []policyx.AnalyzerResource{jobs("alias/aws/sqs"), sub("Sub", map[string]any{"protocol": unknown, "endpoint": jobsArn}, nil)},
			[]string{"deferred: sns-sqs-aws-managed-key: Sub not checked: its protocol is unknown until apply"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := reportsOf(analyze(t, tt.rs, nil), "sns-sqs-aws-managed-key")
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// The services of the issue, each in the property AWS's API names the topic
// with: CloudWatch alarm actions (all three), EventBridge targets, S3
// notifications.
func TestServiceToManagedSNSKey(t *testing.T) {
	const topicArn = "arn:aws:sns:eu-west-1:123456789012:alerts"
	alerts := func(key any) policyx.AnalyzerResource {
		return res(typeTopic, "Alerts", map[string]any{"arn": topicArn, "kmsMasterKeyId": key}, nil)
	}
	const cw = "sns-aws-managed-key-service-publisher [Alerts] Alerts is encrypted with the AWS managed key alias/aws/sns, and the %s publishes to it (%s), which that key's policy does not admit, so its notifications never arrive; encrypt the topic with a customer managed key whose policy lets %s use kms:GenerateDataKey* and kms:Decrypt"
	say := func(what, key, service string) []string {
		return []string{fmt.Sprintf(cw, what, key, service)}
	}
	tests := []struct {
		name string
		rs   []policyx.AnalyzerResource
		want []string
	}{
		{"alarm action by dependency", []policyx.AnalyzerResource{alerts("alias/aws/sns"),
			res(typeMetricAlarm, "Dlq", map[string]any{"alarmActions": []any{unknown}}, map[string][]string{"alarmActions": {typeTopic + " Alerts"}})},
			say("CloudWatch alarm Dlq", "alarmActions", "cloudwatch.amazonaws.com")},
		{"OK action by literal ARN", []policyx.AnalyzerResource{alerts("alias/aws/sns"),
			res(typeMetricAlarm, "Dlq", map[string]any{"okActions": []string{topicArn}}, nil)},
			say("CloudWatch alarm Dlq", "okActions", "cloudwatch.amazonaws.com")},
		{"composite alarm, insufficient data", []policyx.AnalyzerResource{alerts("arn:aws:kms:eu-west-1:123456789012:alias/aws/sns"),
			res(typeCompositeAlarm, "All", map[string]any{"insufficientDataActions": []string{topicArn}}, nil)},
			[]string{strings.NewReplacer("key alias/aws/sns", "key arn:aws:kms:eu-west-1:123456789012:alias/aws/sns").Replace(say("CloudWatch composite alarm All", "insufficientDataActions", "cloudwatch.amazonaws.com")[0])}},
		{"EventBridge target", []policyx.AnalyzerResource{alerts("alias/aws/sns"),
			res(typeEventTarget, "Nightly", map[string]any{"arn": topicArn, "rule": "nightly"}, nil)},
			say("EventBridge target Nightly", "arn", "events.amazonaws.com")},
		{"S3 notification", []policyx.AnalyzerResource{alerts("alias/aws/sns"),
			res(typeBucketNotification, "Inbox", map[string]any{"bucket": "inbox", "topics": []any{map[string]any{"topicArn": topicArn, "events": []string{"s3:ObjectCreated:*"}}}}, nil)},
			say("S3 event notification Inbox", "topics", "s3.amazonaws.com")},
		{"a key of its own", []policyx.AnalyzerResource{alerts("alias/alerts"),
			res(typeMetricAlarm, "Dlq", map[string]any{"alarmActions": []string{topicArn}}, nil)}, nil},
		{"an alarm that notifies another topic", []policyx.AnalyzerResource{alerts("alias/aws/sns"),
			res(typeMetricAlarm, "Dlq", map[string]any{"alarmActions": []string{topicArn + "-other"}}, nil)}, nil},
		{"no AWS service publishes", []policyx.AnalyzerResource{alerts("alias/aws/sns")}, nil},
		{"the topic's ARN unknown, the alarm names an ARN", []policyx.AnalyzerResource{
			res(typeTopic, "Alerts", map[string]any{"arn": unknown, "kmsMasterKeyId": "alias/aws/sns"}, nil),
			res(typeMetricAlarm, "Dlq", map[string]any{"alarmActions": []string{topicArn}}, nil)},
			[]string{"deferred: sns-aws-managed-key-service-publisher: Alerts not checked: whether Dlq's alarmActions name it is unknown until apply"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := reportsOf(analyze(t, tt.rs, nil), "sns-aws-managed-key-service-publisher")
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// SNS's subscription protocols (SNS API reference, Subscribe): only sqs and
// lambda are the rule's; the others are delivered elsewhere or have their
// own retry policy.
func TestSubscriptionRedrive(t *testing.T) {
	const fix = "; set redrivePolicy to {\"deadLetterTargetArn\": \"<ARN of an SQS queue whose policy lets the topic send>\"}"
	tests := []struct {
		protocol string
		redrive  any
		want     string
	}{
		{"sqs", nil, "sns-subscription-redrive [Sub] Sub (sqs) has no redrivePolicy, so SNS drops what it cannot deliver" + fix},
		{"lambda", "", "sns-subscription-redrive [Sub] Sub (lambda) has no redrivePolicy, so SNS drops what it cannot deliver" + fix},
		{"sqs", `{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:123456789012:dlq"}`, ""},
		{"lambda", unknown, ""},
		{"sqs", `{}`, "sns-subscription-redrive [Sub] Sub redrivePolicy names no deadLetterTargetArn, so SNS drops what it cannot deliver" + fix},
		{"sqs", `dlq`, "sns-subscription-redrive [Sub] Sub redrivePolicy cannot be read (it is not valid JSON), so SNS drops what it cannot deliver" + fix},
		{"email", nil, ""}, {"https", nil, ""}, {"sms", nil, ""}, {"firehose", nil, ""}, {"application", nil, ""},
	}
	for _, tt := range tests {
		rs := []policyx.AnalyzerResource{sub("Sub", map[string]any{"protocol": tt.protocol, "endpoint": "x", "redrivePolicy": tt.redrive}, nil)}
		if got := strings.Join(only(analyze(t, rs, nil), "sns-subscription-redrive"), "\n"); got != tt.want {
			t.Errorf("%s %v: got %q, want %q", tt.protocol, tt.redrive, got, tt.want)
		}
	}
}

// Lambda's stream sources (Lambda developer guide, event source mappings):
// Kinesis streams and DynamoDB streams; maximumRetryAttempts defaults to -1,
// unlimited.
func TestStreamOnFailure(t *testing.T) {
	const say = "lambda-stream-on-failure [M] M retries a failing batch until its records expire (maximumRetryAttempts unset or -1) and has no onFailure destination, so a poison record holds up its shard and then goes with no trace; set maximumRetryAttempts, bisectBatchOnFunctionError and destinationConfig.onFailure.destinationArn (an SQS queue or SNS topic)"
	onFailure := map[string]any{"onFailure": map[string]any{"destinationArn": "arn:aws:sqs:eu-west-1:123456789012:failed"}}
	tests := []struct {
		name  string
		props map[string]any
		deps  map[string][]string
		extra []policyx.AnalyzerResource
		want  string
	}{
		{"Kinesis, defaults", map[string]any{"eventSourceArn": "arn:aws:kinesis:eu-west-1:123456789012:stream/clicks"}, nil, nil, say},
		{"DynamoDB stream, -1", map[string]any{"eventSourceArn": "arn:aws:dynamodb:eu-west-1:123456789012:table/t/stream/2026-01-01T00:00:00.000", "maximumRetryAttempts": -1}, nil, nil, say},
		{"a stream of the stack, its ARN unknown", map[string]any{"eventSourceArn": unknown}, map[string][]string{"eventSourceArn": {typeKinesisStream + " Clicks"}},
			[]policyx.AnalyzerResource{res(typeKinesisStream, "Clicks", map[string]any{"arn": unknown}, nil)}, say},
		{"Kinesis, on-failure queue", map[string]any{"eventSourceArn": "arn:aws:kinesis:eu-west-1:123456789012:stream/clicks", "destinationConfig": onFailure}, nil, nil, ""},
		{"Kinesis, bounded retries", map[string]any{"eventSourceArn": "arn:aws:kinesis:eu-west-1:123456789012:stream/clicks", "maximumRetryAttempts": 2}, nil, nil, ""},
		{"SQS", map[string]any{"eventSourceArn": jobsArn}, nil, nil, ""},
		{"a DynamoDB table is no stream", map[string]any{"eventSourceArn": "arn:aws:dynamodb:eu-west-1:123456789012:table/t"}, nil, nil, ""},
		{"the source unknown", map[string]any{"eventSourceArn": unknown}, nil, nil,
			"deferred: lambda-stream-on-failure: M not checked: its event source is unknown until apply"},
	}
	for _, tt := range tests {
		rs := append(tt.extra, res(typeMapping, "M", tt.props, tt.deps))
		got := strings.Join(reportsOf(analyze(t, rs, nil), "lambda-stream-on-failure"), "\n")
		if got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

// The advisory verdicts of the delivery policies on their corpus programs,
// as after an update and as a first preview: none the update would not
// give, and each one it cannot give yet deferred.
func TestDeliveryCorpus(t *testing.T) {
	programs := map[string]corpus.Program{}
	for _, c := range corpus.Programs() {
		programs[c.Name] = c
	}
	policies := []string{"sns-subscription-redrive", "lambda-stream-on-failure"}
	verdicts := func(reports []string) []string {
		var out []string
		for _, r := range reports {
			policy, rest, _ := strings.Cut(r, " [")
			res, _, _ := strings.Cut(rest, "]")
			if slices.Contains(policies, policy) {
				out = append(out, policy+" "+res)
			}
		}
		sort.Strings(out)
		return slices.Compact(out)
	}
	for name, want := range corpus.DeliveryAdvice() {
		t.Run(name, func(t *testing.T) {
			c, ok := programs[name]
			if !ok {
				t.Fatalf("no corpus program %q", name)
			}
			known := corpusResources(t, "dev", c.Run)
			if got := verdicts(analyze(t, known, nil)); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("after an update: got %q, want %q", got, want)
			}
			reports := analyze(t, firstPreview(known), nil)
			deferred := strings.Join(only(reports, "preview-unknowns"), "\n")
			early := verdicts(reports)
			for _, v := range early {
				if !slices.Contains(want, v) {
					t.Errorf("first preview: %s, which the update does not say", v)
				}
			}
			for _, v := range want {
				policy, _, _ := strings.Cut(v, " ")
				if !slices.Contains(early, v) && !strings.Contains(deferred, policy+":") {
					t.Errorf("first preview: %s neither said nor deferred", v)
				}
			}
		})
	}
}

// No fix text recommends what another policy refuses: across every corpus
// program and orderpipe's own stack broken in the ways the delivery
// policies catch, no report's fix (what follows its first "; ") names an
// AWS managed key.
func TestNoFixNamesARefusedKey(t *testing.T) {
	var reports []string
	for _, c := range corpus.Programs() {
		reports = append(reports, analyze(t, corpusResources(t, "dev", c.Run), nil)...)
		reports = append(reports, analyze(t, firstPreview(corpusResources(t, "dev", c.Run)), nil)...)
	}
	// Each policy that names a key in its text must have spoken.
	for _, policy := range []string{"encryption-at-rest", "sns-sqs-aws-managed-key", "sns-aws-managed-key-service-publisher"} {
		if len(only(reports, policy)) == 0 {
			t.Errorf("no corpus program makes %s report: nothing checks its fix", policy)
		}
	}
	for _, r := range reports {
		_, fix, _ := strings.Cut(r, "; ")
		if strings.Contains(fix, "alias/aws/") {
			t.Errorf("the fix recommends an AWS managed key, which another policy refuses where an AWS service uses it: %s", r)
		}
	}
}

// orderpipe's own stack: its subscription DLQ is a dead-letter queue (no
// advisory for a queue without a redrive policy), and the stack broken in
// the two ways the issue names is caught.
func TestOrderpipeDelivery(t *testing.T) {
	set := func(typ, name, key string, v any) func([]policyx.AnalyzerResource) {
		return func(rs []policyx.AnalyzerResource) {
			for i, r := range rs {
				if r.Type == typ && r.Name == name {
					m := map[string]property.Value{}
					for k, pv := range r.Properties.All {
						m[k] = pv
					}
					if v == nil {
						delete(m, key)
					} else {
						m[key] = toValue(v)
					}
					rs[i].Properties = property.NewMap(m)
				}
			}
		}
	}
	tests := []struct {
		name string
		edit func([]policyx.AnalyzerResource)
		want []string
	}{
		{"as declared", func([]policyx.AnalyzerResource) {}, nil},
		{"the subscription DLQ under alias/aws/sqs", set(typeQueue, spec.SubscriptionDLQName, "kmsMasterKeyId", "alias/aws/sqs"), []string{
			"sns-sqs-aws-managed-key [OrderQueueSubscription] OrderQueueSubscription redrives failed deliveries to OrderQueueSubscriptionDLQ, which is encrypted with the AWS managed key alias/aws/sqs that SNS cannot use, so SNS drops those messages; encrypt the dead-letter queue with a customer managed key whose policy lets sns.amazonaws.com use kms:GenerateDataKey* and kms:Decrypt",
		}},
		{"the alarm topic under alias/aws/sns", set(typeTopic, "AlarmTopic", "kmsMasterKeyId", "alias/aws/sns"), nil},
		{"without the subscription's redrive policy", set(typeTopicSubscribe, spec.QueueName+"Subscription", "redrivePolicy", nil), []string{
			"sns-subscription-redrive [OrderQueueSubscription] OrderQueueSubscription (sqs) has no redrivePolicy, so SNS drops what it cannot deliver; set redrivePolicy to {\"deadLetterTargetArn\": \"<ARN of an SQS queue whose policy lets the topic send>\"}",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := programResources(t, nil)
			tt.edit(rs)
			got := analyze(t, rs, nil)
			if tt.name == "the alarm topic under alias/aws/sns" {
				// Six alarms notify it: one verdict on the topic for each.
				v := only(got, "sns-aws-managed-key-service-publisher")
				if len(v) != 6 || len(got) != 6 || !strings.Contains(v[0], "(alarmActions, okActions)") {
					t.Errorf("got %d verdicts on the alarm topic (want one per alarm, 6), and in all:\n%s", len(v), strings.Join(got, "\n"))
				}
				return
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
