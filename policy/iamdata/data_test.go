package iamdata

import (
	"slices"
	"testing"
)

// The ARN formats are the Service Authorization Reference's; the patterns
// are the IAM User Guide's examples of resource ARNs with wildcards.
func TestCovers(t *testing.T) {
	const (
		function = "arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}"
		index    = "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}/index/${IndexName}"
		table    = "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}"
		object   = "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
		bucket   = "arn:${Partition}:s3:::${BucketName}"
		queue    = "arn:${Partition}:sqs:${Region}:${Account}:${QueueName}"
		user     = "arn:${Partition}:iam::${Account}:user/${UserNameWithPath}"
		logGroup = "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}"
	)
	tests := []struct {
		pattern, format string
		want            bool
	}{
		{"*", function, true},
		{"arn:aws:lambda:*:*:function:*", function, true},
		{"arn:aws:lambda:eu-west-1:123456789012:function:*", function, true},
		{"arn:aws:lambda:eu-west-1:123456789012:*", function, true},
		{"arn:aws:lambda:*", function, true},
		{"arn:aws:lambda:eu-west-1:123456789012:function:team-dev-*", function, false},
		{"arn:aws:lambda:eu-west-1:123456789012:function:orders", function, false},
		{"arn:aws:lambda:eu-west-1:123456789012:function:?*", function, false}, // a ? is not every value
		{"arn:aws:dynamodb:*:*:table/*/index/*", index, true},
		{"arn:aws:dynamodb:eu-west-1:123456789012:table/Orders/index/*", index, false},
		{"arn:aws:dynamodb:eu-west-1:123456789012:table/*", table, true},
		{"arn:aws:dynamodb:eu-west-1:123456789012:table/*", index, true}, // * crosses the slash
		{"arn:aws:dynamodb:eu-west-1:123456789012:table/Orders", table, false},
		{"arn:aws:s3:::amzn-s3-demo-bucket/*", object, false},
		{"arn:aws:s3:::*/*", object, true},
		{"arn:aws:s3:::*", object, true},
		{"arn:aws:s3:::*", bucket, true},
		{"arn:aws:s3:::amzn-s3-demo-bucket", bucket, false},
		{"arn:aws:sqs:*:*:*", queue, true},
		{"arn:aws:sqs:eu-west-1:123456789012:team-*", queue, false},
		{"arn:aws:sqs:eu-west-1:123456789012:*", queue, true},
		{"arn:aws:iam::123456789012:user/*", user, true},
		{"arn:aws:iam::*:user/Development/*", user, false},
		{"arn:aws:logs:*:*:*", logGroup, true},
		{"arn:aws:logs:eu-west-1:1:log-group:/aws/lambda/orders:*", logGroup, false},
		{"arn:aws:sqs:*:*:*", function, false}, // another service
	}
	for _, tt := range tests {
		if got := Covers(tt.pattern, tt.format); got != tt.want {
			t.Errorf("Covers(%q, %q) = %v, want %v", tt.pattern, tt.format, got, tt.want)
		}
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true}, {"get*", "getobject", true}, {"*object", "getobject", true}, {"g?t*", "getobject", true},
		{"get*", "putobject", false}, {"*a*b", "xaxb", true}, {"*a*b", "xaxbx", false}, {"?", "", false},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.s); got != tt.want {
			t.Errorf("Match(%q, %q) = %v", tt.pattern, tt.s, got)
		}
	}
}

// The embedded data holds what the Service Authorization Reference says of
// actions the rules meet, and AWS's managed policies.
func TestLoad(t *testing.T) {
	d, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		action string
		types  []string
	}{
		{"lambda:ListFunctions", nil}, {"dynamodb:ListTables", nil}, {"ec2:DescribeNetworkInterfaces", nil},
		{"xray:PutTraceSegments", nil}, {"sqs:SendMessage", []string{"queue"}}, {"dynamodb:PutItem", []string{"table"}},
		{"s3:GetObject", []string{"accesspointobject", "object"}}, {"lambda:InvokeFunction", []string{"function"}},
	} {
		as, known := d.Expand(tt.action)
		if !known || len(as) != 1 || !slices.Equal(as[0].ResourceTypes(), tt.types) {
			t.Errorf("%s: %v (known %v), want resource types %v", tt.action, as, known, tt.types)
		}
	}
	if as, _ := d.Expand("s3:Get*"); len(as) < 20 || slices.ContainsFunc(as, func(a Action) bool { return a.Name == "PutObject" }) {
		t.Errorf("s3:Get* expands to %d actions", len(as))
	}
	if _, known := d.Expand("sqs:SendMesage"); known {
		t.Error("a misspelt action is known")
	}
	if _, ok := d.Managed["arn:aws:iam::aws:policy/AdministratorAccess"]; !ok {
		t.Error("AdministratorAccess is missing")
	}
	if len(Sources()) != 2 {
		t.Error("the sources are not recorded")
	}
}
