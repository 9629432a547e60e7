package rules

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/orderpipe/orderpipe/policy/iamdata"
)

// AWS resource types the rules look at.
const (
	typeQueue            = "aws:sqs/queue:Queue"
	typeRedrivePolicy    = "aws:sqs/redrivePolicy:RedrivePolicy"
	typeQueuePolicy      = "aws:sqs/queuePolicy:QueuePolicy"
	typeTopic            = "aws:sns/topic:Topic"
	typeTable            = "aws:dynamodb/table:Table"
	typeFunction         = "aws:lambda/function:Function"
	typeMapping          = "aws:lambda/eventSourceMapping:EventSourceMapping"
	typeAlias            = "aws:lambda/alias:Alias"
	typeLogGroup         = "aws:cloudwatch/logGroup:LogGroup"
	typeMetricAlarm      = "aws:cloudwatch/metricAlarm:MetricAlarm"
	typeRole             = "aws:iam/role:Role"
	typeRolePolicy       = "aws:iam/rolePolicy:RolePolicy"
	typeIAMPolicy        = "aws:iam/policy:Policy"
	typeDashboard        = "aws:cloudwatch/dashboard:Dashboard"
	typeTopicSubscribe   = "aws:sns/topicSubscription:TopicSubscription"
	typePolicyAttachment = "aws:iam/policyAttachment:PolicyAttachment"
)

// AWS's defaults, used when a property is not set.
const (
	defaultFunctionTimeout   = 3      // seconds
	defaultVisibilityTimeout = 30     // seconds
	defaultRetention         = 345600 // seconds: 4 days
	maxRetention             = 1209600
)

// val is one property of a resource: absent (and so AWS's default), unknown
// until apply, or a value.
type val struct{ v property.Value }

func prop(r policyx.AnalyzerResource, path ...string) val {
	v := property.New(r.Properties)
	for _, k := range path {
		if v.IsComputed() || !v.IsMap() {
			return val{v}
		}
		v = v.AsMap().Get(k)
	}
	return val{v}
}

func (p val) unknown() bool { return p.v.IsComputed() || containsComputed(p.v) }
func (p val) absent() bool  { return p.v.IsNull() }

func containsComputed(v property.Value) bool {
	switch {
	case v.IsComputed():
		return true
	case v.IsMap():
		return v.AsMap().HasComputed()
	case v.IsArray():
		return v.AsArray().HasComputed()
	}
	return false
}

// int returns the number, def when absent, and false when unknown.
func (p val) int(def int) (int, bool) {
	switch {
	case p.absent():
		return def, true
	case p.v.IsNumber():
		return int(p.v.AsNumber()), true
	}
	return 0, false
}

// str returns the string, "" when absent, and false when unknown.
func (p val) str() (string, bool) {
	switch {
	case p.absent():
		return "", true
	case p.v.IsString():
		return p.v.AsString(), true
	}
	return "", false
}

func (p val) boolean() (b, known bool) {
	switch {
	case p.absent():
		return false, true
	case p.v.IsBool():
		return p.v.AsBool(), true
	}
	return false, false
}

// strings returns the strings of an array property.
func (p val) strings() ([]string, bool) {
	if p.absent() {
		return nil, true
	}
	if !p.v.IsArray() || p.unknown() {
		return nil, false
	}
	var out []string
	for _, e := range p.v.AsArray().AsSlice() {
		if e.IsString() {
			out = append(out, e.AsString())
		}
	}
	return out, true
}

// jsonDoc decodes a JSON document held in a string property.
func (p val) jsonDoc(into any) (present, known bool, err error) {
	s, ok := p.str()
	if !ok {
		return true, false, nil
	}
	if s == "" {
		return false, true, nil
	}
	return true, true, json.Unmarshal([]byte(s), into)
}

// jsonProblem says in words what is wrong with a JSON document that does not
// read: not JSON at all, or a field of the wrong kind.
func jsonProblem(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return errors.New("it is not valid JSON")
	case errors.As(err, &typ) && typ.Field != "":
		return fmt.Errorf("%s is %s, which is not the kind of value it takes", typ.Field, article(typ.Value))
	case errors.As(err, &typ):
		return fmt.Errorf("it is %s, not a JSON object", article(typ.Value))
	}
	return err
}

func article(kind string) string {
	if kind == "array" || kind == "object" {
		return "an " + kind
	}
	return "a " + kind
}

// oneOrMany reads an IAM field that is a string or a list of strings.
type oneOrMany []string

func (o *oneOrMany) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*o = oneOrMany{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*o = many
	return nil
}

// iamStatement is one statement of an IAM policy document.
type iamStatement struct {
	Sid          string                     `json:"Sid"`
	Effect       string                     `json:"Effect"`
	Principal    json.RawMessage            `json:"Principal"`
	NotPrincipal json.RawMessage            `json:"NotPrincipal"`
	Action       oneOrMany                  `json:"Action"`
	NotAction    oneOrMany                  `json:"NotAction"`
	Resource     oneOrMany                  `json:"Resource"`
	NotResource  oneOrMany                  `json:"NotResource"`
	Condition    map[string]json.RawMessage `json:"Condition"`
}

// iamDocument is an IAM policy document; Statement is an object or a list.
type iamDocument struct {
	Statement []iamStatement
}

func (d *iamDocument) UnmarshalJSON(b []byte) error {
	var raw struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if len(raw.Statement) > 0 && raw.Statement[0] == '{' {
		var one iamStatement
		if err := json.Unmarshal(raw.Statement, &one); err != nil {
			return err
		}
		d.Statement = []iamStatement{one}
		return nil
	}
	return json.Unmarshal(raw.Statement, &d.Statement)
}

// servicePrincipals are the service principals of a statement.
func (s iamStatement) servicePrincipals() []string {
	var p struct {
		Service oneOrMany `json:"Service"`
	}
	if json.Unmarshal(s.Principal, &p) != nil {
		return nil
	}
	return p.Service
}

// conditionKeys are the condition keys of a statement, lower case.
func (s iamStatement) conditionKeys() []string {
	var keys []string
	for _, block := range s.Condition {
		var kv map[string]json.RawMessage
		if json.Unmarshal(block, &kv) == nil {
			for k := range kv {
				keys = append(keys, strings.ToLower(k))
			}
		}
	}
	return keys
}

// conditionValues are the values a statement's conditions give key (any
// operator; keys compare without case).
func (s iamStatement) conditionValues(key string) []string {
	var out []string
	for _, block := range s.Condition {
		var kv map[string]oneOrMany
		if json.Unmarshal(block, &kv) != nil {
			continue
		}
		for k, v := range kv {
			if strings.EqualFold(k, key) {
				out = append(out, v...)
			}
		}
	}
	return out
}

// public reports whether the statement's principal is everyone: "*" or
// {"AWS": "*"}.
func (s iamStatement) public() bool {
	var one string
	if json.Unmarshal(s.Principal, &one) == nil {
		return one == "*"
	}
	var p struct {
		AWS oneOrMany `json:"AWS"`
	}
	return json.Unmarshal(s.Principal, &p) == nil && slices.Contains(p.AWS, "*")
}

// scopingKeys are the condition keys that can confine a statement to known
// callers or sources, when their values do.
var scopingKeys = []string{"aws:sourcearn", "aws:sourceaccount", "aws:sourceowner", "aws:principalorgid", "aws:principalaccount",
	"aws:principalarn", "aws:sourcevpce", "aws:sourcevpc", "aws:principalorgpaths", "aws:sourceorgid", "aws:sourceorgpaths"}

// confined reports whether a condition confines the statement's callers: an
// operator that requires a scoping key to match (not a negation, not
// …IfExists, which passes callers without the key, not ForAllValues, which
// passes them too) with values that each name one account, organisation,
// ARN, VPC or endpoint. aws:SourceArn "arn:aws:sns:*:*:*", any topic of any
// account, confines no one.
func (s iamStatement) confined(d *iamdata.Data) bool {
	for op, block := range s.Condition {
		lop := strings.ToLower(op)
		if strings.Contains(lop, "not") || strings.HasSuffix(lop, "ifexists") || lop == "null" || strings.HasPrefix(lop, "forallvalues:") {
			continue
		}
		var kv map[string]json.RawMessage
		if json.Unmarshal(block, &kv) != nil {
			continue
		}
		for k, raw := range kv {
			key := strings.ToLower(k)
			if !slices.Contains(scopingKeys, key) {
				continue
			}
			var values oneOrMany
			if json.Unmarshal(raw, &values) != nil || len(values) == 0 {
				continue
			}
			if !slices.ContainsFunc(values, func(v string) bool { return !confines(d, key, v) }) {
				return true
			}
		}
	}
	return false
}

// confines reports whether one value of a scoping key names something
// specific: without wildcards, or, for an ARN, with its account named or a
// resource whose name is unique across accounts (an S3 bucket's, by AWS's
// data), or, for an organisation path, its organisation named.
func confines(d *iamdata.Data, key, v string) bool {
	wild := func(s string) bool { return strings.ContainsAny(s, "*?") }
	switch {
	case v == "":
		return false
	case !wild(v):
		return true
	case key == "aws:sourcearn" || key == "aws:principalarn":
		parts := strings.SplitN(v, ":", 6)
		if len(parts) < 6 {
			return false
		}
		return !wild(parts[4]) && parts[4] != "" || d.NamesGlobally(v)
	case key == "aws:principalorgpaths" || key == "aws:sourceorgpaths":
		org, _, _ := strings.Cut(v, "/")
		return !wild(org)
	}
	return false
}

// label names a statement in a report: its Sid, else its position.
func (s iamStatement) label(i int) string {
	if s.Sid != "" {
		return s.Sid
	}
	return fmt.Sprintf("#%d", i)
}
