package rules

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orderpipe/orderpipe/policy/corpus"
	"github.com/orderpipe/orderpipe/stack/stacktest"
)

// The second corpus, written from AWS's documentation before the pack saw
// it: every program gets its mandatory verdicts as after an update and as a
// first preview; a first preview gives no verdict, advisory ones included,
// that the update does not give; and no DLQ is asked for a DLQ.
func TestSecondCorpus(t *testing.T) {
	programs := corpus.SecondPrograms()
	if len(programs) < 40 {
		t.Errorf("the second corpus holds %d programs; keep at least 40", len(programs))
	}
	for _, c := range programs {
		t.Run(c.Name, func(t *testing.T) {
			checkProgram(t, c.Program, c.Stack)
			stack := c.Stack
			known := corpusResources(t, stack, c.Run)
			update := verdicts(analyzeStack(t, stack, known, nil))
			preview := verdicts(analyzeStack(t, stack, firstPreview(known), nil))
			for _, v := range preview {
				if !slices.Contains(update, v) {
					t.Errorf("first preview: %s, which the update does not say", v)
				}
			}
			// A queue that receives another service's failures is a DLQ.
			for _, q := range corpus.FailureQueues() {
				if v := "sqs-redrive-everywhere " + q; slices.Contains(update, v) || slices.Contains(preview, v) {
					t.Errorf("%s: %s is a dead-letter queue", v, q)
				}
			}
		})
	}
}

// verdicts are the "policy Resource" of every report but preview-unknowns'.
func verdicts(reports []string) []string {
	var out []string
	for _, r := range reports {
		policy, rest, _ := strings.Cut(r, " [")
		res, _, _ := strings.Cut(rest, "]")
		if policy != "preview-unknowns" {
			out = append(out, policy+" "+res)
		}
	}
	return out
}

// providerMocks adds to stacktest.Mocks what pulumi-aws does that the
// corpus's programs rely on: the names namePrefix makes and the JSON of
// iam.getPolicyDocument.
type providerMocks struct{ *stacktest.Mocks }

// prefixedSuffix is the 26 characters the provider appends to a namePrefix
// (Terraform's PrefixedUniqueId: a timestamp and a counter).
const prefixedSuffix = "20261130005600000000000001"

func (m *providerMocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if p, ok := args.Inputs["namePrefix"]; ok && p.IsString() {
		if _, named := args.Inputs["name"]; !named {
			args.Inputs = args.Inputs.Copy()
			args.Inputs["name"] = resource.NewStringProperty(p.StringValue() + prefixedSuffix)
		}
	}
	return m.Mocks.NewResource(args)
}

func (m *providerMocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	if args.Token != "aws:iam/getPolicyDocument:getPolicyDocument" {
		return m.Mocks.Call(args)
	}
	doc, err := policyDocument(args.Args)
	if err != nil {
		return nil, err
	}
	return resource.NewPropertyMapFromMap(map[string]any{"id": "doc", "json": doc, "minifiedJson": doc}), nil
}

// policyDocument renders the statements as the provider's data source does:
// Effect Allow by default, one value as a string, principals keyed by type
// ("*" of type "*" is the string "*"), conditions keyed by test and variable.
func policyDocument(args resource.PropertyMap) (string, error) {
	type statement struct {
		Sid          string         `json:"Sid,omitempty"`
		Effect       string         `json:"Effect"`
		Action       any            `json:"Action,omitempty"`
		NotAction    any            `json:"NotAction,omitempty"`
		Resource     any            `json:"Resource,omitempty"`
		NotResource  any            `json:"NotResource,omitempty"`
		Principal    any            `json:"Principal,omitempty"`
		NotPrincipal any            `json:"NotPrincipal,omitempty"`
		Condition    map[string]any `json:"Condition,omitempty"`
	}
	one := func(v any) any {
		vs, _ := v.([]any)
		switch len(vs) {
		case 0:
			return nil
		case 1:
			return vs[0]
		}
		return vs
	}
	principals := func(v any) any {
		ps, _ := v.([]any)
		if len(ps) == 0 {
			return nil
		}
		out := map[string]any{}
		for _, p := range ps {
			p := p.(map[string]any)
			if p["type"] == "*" {
				return "*"
			}
			out[p["type"].(string)] = one(p["identifiers"])
		}
		return out
	}
	var doc struct {
		Version   string      `json:"Version"`
		Statement []statement `json:"Statement"`
	}
	doc.Version = "2012-10-17"
	for _, s := range args.Mappable()["statements"].([]any) {
		s := s.(map[string]any)
		st := statement{Effect: "Allow", Action: one(s["actions"]), NotAction: one(s["notActions"]), Resource: one(s["resources"]),
			NotResource: one(s["notResources"]), Principal: principals(s["principals"]), NotPrincipal: principals(s["notPrincipals"])}
		if e, ok := s["effect"].(string); ok && e != "" {
			st.Effect = e
		}
		if sid, ok := s["sid"].(string); ok {
			st.Sid = sid
		}
		for _, c := range asSlice(s["conditions"]) {
			c := c.(map[string]any)
			if st.Condition == nil {
				st.Condition = map[string]any{}
			}
			test, _ := st.Condition[c["test"].(string)].(map[string]any)
			if test == nil {
				test = map[string]any{}
				st.Condition[c["test"].(string)] = test
			}
			test[c["variable"].(string)] = one(c["values"])
		}
		doc.Statement = append(doc.Statement, st)
	}
	b, err := json.Marshal(doc)
	return string(b), err
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

// The stand-in for iam.getPolicyDocument writes the JSON the provider writes.
func TestPolicyDocumentStandIn(t *testing.T) {
	tests := []struct {
		name      string
		statement map[string]any
		want      string
	}{
		{"one action, default effect", map[string]any{"actions": []any{"sqs:SendMessage"}, "resources": []any{"arn:aws:sqs:eu-west-1:123456789012:jobs"}},
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:eu-west-1:123456789012:jobs"}]}`},
		{"principals and conditions", map[string]any{"effect": "Deny", "actions": []any{"sqs:*", "sns:*"}, "resources": []any{"*"},
			"notPrincipals": []any{map[string]any{"type": "AWS", "identifiers": []any{"arn:aws:iam::123456789012:root"}}},
			"conditions":    []any{map[string]any{"test": "Bool", "variable": "aws:SecureTransport", "values": []any{"false"}}}},
			`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["sqs:*","sns:*"],"Resource":"*","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:root"},"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`},
		{"everyone", map[string]any{"notActions": []any{"iam:*"}, "principals": []any{map[string]any{"type": "*", "identifiers": []any{"*"}}}},
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","Principal":"*"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := policyDocument(resource.NewPropertyMapFromMap(map[string]any{"statements": []any{tt.statement}}))
			if err != nil || got != tt.want {
				t.Errorf("got %s, %v\nwant %s", got, err, tt.want)
			}
		})
	}
}
