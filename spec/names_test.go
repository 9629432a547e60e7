package spec

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

var services = []Service{Lambda, SQS, SNS, DynamoDB, CloudWatch, IAMRole}

var logicalNames = []string{
	TableName, TopicName, QueueName, DLQName, FunctionName, RoleName, AlarmTopicName,
	DashboardName, DLQAlarmName, ErrorsAlarmName, QueueAgeAlarmName,
	SubscriptionDLQName, SubscriptionDLQAlarmName, DeliveryFailedAlarmName, RedriveFailedAlarmName,
}

// validFor reports whether name obeys the service's rules on its own.
func validFor(svc Service, name string) bool {
	r := svc.rules()
	if len(name) == 0 || len(name) > r.maxLen {
		return false
	}
	for _, c := range name {
		if !r.allows(c) {
			return false
		}
	}
	return true
}

// The hashed names were checked against an independent SHA-256 of
// "project\x00stack\x00logical". A changed name renames, and so replaces,
// every resource of existing stacks: these values must never change.
func TestName(t *testing.T) {
	dev := Namer{Project: "orderpipe", Stack: "dev"}
	pr := Namer{Project: "orderpipe", Stack: "pr-12345-feature-with-a-very-long-branch-name"}
	tests := []struct {
		n       Namer
		svc     Service
		logical string
		want    string
	}{
		{dev, SNS, TopicName, "orderpipe-dev-OrderTopic"},
		{dev, SQS, QueueName, "orderpipe-dev-OrderQueue"},
		{dev, SQS, DLQName, "orderpipe-dev-OrderQueueDLQ"},
		{dev, SQS, SubscriptionDLQName, "orderpipe-dev-OrderQueueSubscriptionDLQ"},
		{dev, DynamoDB, TableName, "orderpipe-dev-Orders"},
		{dev, Lambda, FunctionName, "orderpipe-dev-ProcessOrderLambda"},
		{dev, IAMRole, RoleName, "orderpipe-dev-ProcessOrderLambdaRole"},
		{dev, CloudWatch, DLQAlarmName, "orderpipe-dev-DLQNotEmpty"},
		{pr, Lambda, FunctionName, "orderpipe-pr-12345-feature-with-a-ve-ProcessOrderLambda-53b32fc7"},
		{pr, IAMRole, RoleName, "orderpipe-pr-12345-feature-with-ProcessOrderLambdaRole-facd36fd"},
		{pr, SQS, QueueName, "orderpipe-pr-12345-feature-with-a-very-long-branch-name-OrderQueue"},
		{Namer{"orderpipe", "feature.x"}, SQS, QueueName, "orderpipe-feature-x-OrderQueue-780bdb46"},
		{Namer{"orderpipe", "feature.x"}, DynamoDB, TableName, "orderpipe-feature.x-Orders"},
		{Namer{"orderpipe", "Dev"}, IAMRole, RoleName, "orderpipe-Dev-ProcessOrderLambdaRole-1f8ec80e"},
		{Namer{"orderpipe", "Dev"}, Lambda, FunctionName, "orderpipe-Dev-ProcessOrderLambda"},
	}
	for _, tt := range tests {
		got := tt.n.Name(tt.svc, tt.logical)
		if got != tt.want {
			t.Errorf("%+v.Name(%v, %q) = %q, want %q", tt.n, tt.svc, tt.logical, got, tt.want)
		}
		if !validFor(tt.svc, got) {
			t.Errorf("%q breaks the rules of service %v", got, tt.svc)
		}
	}
}

// A plain name can only equal a hashed one if a logical name ended in eight
// lower-case hex digits.
func TestLogicalNamesNeverLookHashed(t *testing.T) {
	hashed := regexp.MustCompile(`[0-9a-f]{8}$`)
	for _, l := range logicalNames {
		if hashed.MatchString(l) {
			t.Errorf("logical name %q ends like a hash suffix", l)
		}
	}
}

func TestNamesNeverCollide(t *testing.T) {
	long := strings.Repeat("x", 70)
	stacks := []string{
		"dev", "Dev", "DEV", "prod", "staging", "a.b", "a-b", "a_b", "a",
		"pr-12345-feature-with-a-very-long-branch-name",
		"pr-12345-feature-with-a-very-long-branch-name-2",
		"pr-12346-feature-with-a-very-long-branch-name",
		long, long + "1", long + "2", long + ".", long + "-",
		// A stack named like another stack's hashed name.
		"feature-x-OrderQueue-780bdb46",
	}
	for i := range 200 {
		stacks = append(stacks, fmt.Sprintf("pr-%d-feature-with-a-very-long-branch-name", i))
	}
	for _, svc := range services {
		for _, logical := range logicalNames {
			seen := map[string]string{}
			for _, s := range stacks {
				name := Namer{Project: "orderpipe", Stack: s}.Name(svc, logical)
				if !validFor(svc, name) {
					t.Errorf("stack %q: %q breaks the rules of service %v", s, name, svc)
				}
				key := name
				if svc.rules().foldCase {
					key = strings.ToLower(name)
				}
				if other, ok := seen[key]; ok {
					t.Errorf("service %v, %s: stacks %q and %q both map to %q", svc, logical, other, s, name)
				}
				seen[key] = s
			}
		}
	}
}

func FuzzNamesNeverCollide(f *testing.F) {
	f.Add("dev", "Dev")
	f.Add("a.b", "a-b")
	f.Add(strings.Repeat("x", 70)+"1", strings.Repeat("x", 70)+"2")
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, svc := range services {
			na := Namer{Project: "orderpipe", Stack: a}.Name(svc, FunctionName)
			nb := Namer{Project: "orderpipe", Stack: b}.Name(svc, FunctionName)
			if !validFor(svc, na) {
				t.Fatalf("stack %q: %q breaks the rules of service %v", a, na, svc)
			}
			same := na == nb
			if svc.rules().foldCase {
				same = strings.EqualFold(na, nb)
			}
			if a != b && same {
				t.Fatalf("service %v: stacks %q and %q both map to %q", svc, a, b, na)
			}
		}
	})
}
