package rules

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/orderpipe/orderpipe/policy/iamdata"
)

// roleWith is goodStack with the role policy's statement replaced.
func roleWith(statement map[string]any) fixture {
	f := goodStack()
	f["ProcessOrderLambdaRolePolicy"].props["policy"] = jsonString(map[string]any{"Version": "2012-10-17", "Statement": []any{statement}})
	return f
}

// wantOne checks that got is one report holding want, or none when want is
// empty.
func wantOne(t *testing.T, got []string, want string) {
	t.Helper()
	switch {
	case want == "" && len(got) != 0:
		t.Errorf("got %q, want nothing", got)
	case want != "" && (len(got) != 1 || !strings.Contains(got[0], want)):
		t.Errorf("got %q, want one report with %q", got, want)
	}
}

func allow(actions any, resources any) map[string]any {
	return map[string]any{"Sid": "S", "Effect": "Allow", "Action": actions, "Resource": resources}
}

// Statements judged by the Service Authorization Reference: "*" only for
// actions that have no resource type there, and a wildcard ARN refused only
// when it is every resource of a type the actions take. Verdicts from the
// reference's tables and the IAM User Guide's ARN examples.
func TestLeastPrivilegeFromAWSData(t *testing.T) {
	tests := []struct {
		name      string
		statement map[string]any
		want      string // a part of the one report, or "" for none
	}{
		{"lambda:ListFunctions has no resource type", allow("lambda:ListFunctions", "*"), ""},
		{"dynamodb:ListTables has no resource type", allow([]string{"dynamodb:ListTables", "dynamodb:DescribeLimits"}, "*"), ""},
		{"what a VPC function describes", allow([]string{"ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs"}, "*"), ""},
		{"X-Ray's writes", allow([]string{"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, "*"), ""},
		{"ec2:Describe* holds actions that take ARNs", allow("ec2:Describe*", "*"), `for ec2:Describe* (17 of its actions, such as ec2:DescribeCapacityBlockExtensionOfferings)`},
		{"lambda:InvokeFunction takes a function", allow("lambda:InvokeFunction", "*"), `"*" for lambda:InvokeFunction,`},
		{"action names compare without case", allow("LAMBDA:invokefunction", "*"), `"*" for LAMBDA:invokefunction,`},
		{"an action AWS's data does not hold", allow("sqs:SendMesage", "*"), `"*" for sqs:SendMesage,`},
		{"every function of every region and account", allow("lambda:InvokeFunction", "arn:aws:lambda:*:*:function:*"), "every lambda function"},
		{"every function of an account", allow("lambda:InvokeFunction", "arn:aws:lambda:eu-west-1:123456789012:function:*"), "every lambda function"},
		{"the stack's functions by prefix", allow("lambda:InvokeFunction", "arn:aws:lambda:eu-west-1:123456789012:function:team-dev-*"), ""},
		{"every index of every table", allow("dynamodb:Query", "arn:aws:dynamodb:*:*:table/*/index/*"), "every dynamodb index"},
		{"every index of one table", allow("dynamodb:Query", "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders/index/*"), ""},
		{"the objects of one bucket", allow([]string{"s3:GetObject", "s3:PutObject"}, "arn:aws:s3:::team-dev-uploads/*"), ""},
		{"the objects of every bucket", allow("s3:GetObject", "arn:aws:s3:::*/*"), "every s3 "},
		{"s3:Get* on one bucket's objects", allow("s3:Get*", []string{"arn:aws:s3:::team-dev-uploads/*", "arn:aws:s3:::team-dev-uploads"}), ""},
		{"queues by prefix", allow("sqs:SendMessage", "arn:aws:sqs:eu-west-1:123456789012:team-*"), ""},
		{"every queue of an account", allow("sqs:SendMessage", "arn:aws:sqs:eu-west-1:123456789012:*"), "every sqs queue"},
		{"dynamodb:* on one table", allow("dynamodb:*", "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders"), `"dynamodb:*", every action of dynamodb`},
		{"s3:Get* is not a whole service", allow("s3:Get*", "arn:aws:s3:::team-dev-uploads/*"), ""},
		{"actions of every service", allow("*:Get*", "arn:aws:s3:::team-dev-uploads/*"), "actions of every service"},
		{"the function's log streams", allow([]string{"logs:CreateLogStream", "logs:PutLogEvents"}, "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/fn:*"), ""},
		{"every log group", allow("logs:CreateLogGroup", "arn:aws:logs:*:*:*"), "every logs log-group"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := only(analyze(t, roleWith(tt.statement).resources(), nil), "iam-least-privilege")
			wantOne(t, got, tt.want)
		})
	}
}

// AWS-managed policies are judged by their documents in AWS's data.
func TestManagedPoliciesByTheirDocuments(t *testing.T) {
	tests := []struct {
		policy string
		want   string
	}{
		{"arn:aws:iam::aws:policy/CloudWatchFullAccessV2", "every action of "},
		{"arn:aws:iam::aws:policy/AdministratorAccess", "every action of every service"},
		{"arn:aws:iam::aws:policy/PowerUserAccess", "every action but iam:*"},
		{"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", ""},
		{"arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole", ""},
		{"arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess", ""},
		{"arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess", ""},
	}
	for _, tt := range tests {
		t.Run(tt.policy, func(t *testing.T) {
			f := goodStack()
			f["Attach"] = &resourceSpec{typ: "aws:iam/rolePolicyAttachment:RolePolicyAttachment", props: map[string]any{"role": "r", "policyArn": tt.policy}}
			got := only(analyze(t, f.resources(), nil), "iam-least-privilege")
			wantOne(t, got, tt.want)
		})
	}
}

// The verdicts come from the data: the same statements and the same code
// give other verdicts when AWS's data says otherwise (a new action, a
// resource type gained, a new resource type, a managed policy's new
// version).
func TestVerdictsFollowTheData(t *testing.T) {
	judge := func(d *iamdata.Data, f fixture) []string {
		p := NewPackWith("orderpipe", "dev", func() (*iamdata.Data, error) { return d, nil })
		return only(analyzeWith(t, p, f.resources(), nil), "iam-least-privilege")
	}
	fresh := func() *iamdata.Data {
		d, err := iamdata.Load()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	list := roleWith(allow("lambda:ListFunctions", "*"))
	d := fresh()
	if got := judge(d, list); len(got) != 0 {
		t.Fatalf("ListFunctions on *: %q", got)
	}
	a := d.Services["lambda"].Actions["listfunctions"]
	a.Required = []string{"function"}
	d.Services["lambda"].Actions["listfunctions"] = a
	if got := judge(d, list); len(got) != 1 || !strings.Contains(got[0], `"*" for lambda:ListFunctions`) {
		t.Errorf("ListFunctions with a resource type, on *: %q", got)
	}

	purge := roleWith(allow("sqs:PurgeEveryQueue", "*"))
	d = fresh()
	if got := judge(d, purge); len(got) != 1 {
		t.Errorf("an action the data does not hold, on *: %q", got)
	}
	d.Services["sqs"].Actions["purgeeveryqueue"] = iamdata.Action{Service: "sqs", Name: "PurgeEveryQueue"}
	if got := judge(d, purge); len(got) != 0 {
		t.Errorf("a new action without resource types, on *: %q", got)
	}

	groups := roleWith(allow("sqs:SendMessage", "arn:aws:sqs:eu-west-1:123456789012:group/*"))
	d = fresh()
	if got := judge(d, groups); len(got) != 0 {
		t.Fatalf("queues named group/...: %q", got)
	}
	d.Services["sqs"].ResourceTypes["queuegroup"] = "arn:${Partition}:sqs:${Region}:${Account}:group/${GroupName}"
	a = d.Services["sqs"].Actions["sendmessage"]
	a.Optional = append(a.Optional, "queuegroup")
	d.Services["sqs"].Actions["sendmessage"] = a
	if got := judge(d, groups); len(got) != 1 || !strings.Contains(got[0], "every sqs queuegroup") {
		t.Errorf("a new resource type: %q", got)
	}

	f := goodStack()
	const readOnly = "arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess"
	f["Attach"] = &resourceSpec{typ: "aws:iam/rolePolicyAttachment:RolePolicyAttachment", props: map[string]any{"role": "r", "policyArn": readOnly}}
	d = fresh()
	if got := judge(d, f); len(got) != 0 {
		t.Fatalf("AmazonSQSReadOnlyAccess: %q", got)
	}
	d.Managed[readOnly] = json.RawMessage(`{"Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}`)
	if got := judge(d, f); len(got) != 1 || !strings.Contains(got[0], "every action of sqs") {
		t.Errorf("a managed policy that now grants sqs:*: %q", got)
	}
}

// Resource policies: a condition confines only when its value names one
// account, organisation or ARN, and an Allow with NotPrincipal allows
// everyone else (IAM User Guide: NotPrincipal, condition operators,
// …IfExists; the SNS and SQS developer guides' examples).
func TestPublicPolicyReadsPrincipalsAndConditionValues(t *testing.T) {
	everyone := func(cond map[string]any) map[string]any {
		st := map[string]any{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": queueArn}
		if cond != nil {
			st["Condition"] = cond
		}
		return st
	}
	tests := []struct {
		name      string
		statement map[string]any
		public    bool
	}{
		{"any topic of any account", everyone(map[string]any{"ArnLike": map[string]any{"aws:SourceArn": "arn:aws:sns:*:*:*"}}), true},
		{"one topic", everyone(map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": topicArn}}), false},
		{"the topics of one account", everyone(map[string]any{"ArnLike": map[string]any{"aws:SourceArn": "arn:aws:sns:eu-west-1:123456789012:*"}}), false},
		{"one of two ARNs is any topic", everyone(map[string]any{"ArnLike": map[string]any{"aws:SourceArn": []string{topicArn, "arn:aws:sns:*:*:*"}}}), true},
		{"a bucket by name (no account in its ARN)", everyone(map[string]any{"ArnLike": map[string]any{"aws:SourceArn": "arn:aws:s3:*:*:team-dev-uploads"}}), false},
		{"any bucket", everyone(map[string]any{"ArnLike": map[string]any{"aws:SourceArn": "arn:aws:s3:::*"}}), true},
		{"one account", everyone(map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": "123456789012"}}), false},
		{"every account but one", everyone(map[string]any{"StringNotEquals": map[string]any{"aws:SourceAccount": "123456789012"}}), true},
		{"one account, if the caller says", everyone(map[string]any{"StringEqualsIfExists": map[string]any{"aws:SourceAccount": "123456789012"}}), true},
		{"any organisation", everyone(map[string]any{"StringLike": map[string]any{"aws:PrincipalOrgID": "o-*"}}), true},
		{"one organisation", everyone(map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}), false},
		{"a path in one organisation", everyone(map[string]any{"ForAnyValue:StringLike": map[string]any{"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/*"}}), false},
		{"TLS only is no confinement", everyone(map[string]any{"Bool": map[string]any{"aws:SecureTransport": "true"}}), true},
		{"Allow with NotPrincipal", map[string]any{"Effect": "Allow", "NotPrincipal": map[string]any{"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sqs:SendMessage", "Resource": queueArn}, true},
		{"Deny with NotPrincipal", map[string]any{"Effect": "Deny", "NotPrincipal": map[string]any{"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sqs:*", "Resource": queueArn}, false},
		{"one account's root", map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sqs:SendMessage", "Resource": queueArn}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := goodStack()
			f["OrderQueuePolicy"].props["policy"] = jsonString(map[string]any{"Statement": []any{tt.statement}})
			got := only(analyze(t, f.resources(), nil), "sqs-sns-no-public-policy")
			if (len(got) > 0) != tt.public {
				t.Errorf("got %q, want public %v", got, tt.public)
			}
		})
	}
}
