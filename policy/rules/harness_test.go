package rules

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/orderpipe/orderpipe/policy/iamdata"
)

// unknown marks a value that only apply will know.
var unknown = property.New(property.Computed)

// recorder is a PolicyManager that records what a policy reports.
type recorder struct {
	policy string
	urn    string
	out    *[]string
}

func (r recorder) ReportViolation(message, urn string) {
	if urn == "" {
		urn = r.urn
	}
	*r.out = append(*r.out, fmt.Sprintf("%s [%s] %s", r.policy, urnName(urn), message))
}

func urnName(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}

// analyze runs the pack over the resources as the engine does: every
// resource policy on every resource, with its configuration, then every stack
// policy, in the pack's order. It returns what was reported, sorted.
func analyze(t *testing.T, resources []policyx.AnalyzerResource, config map[string]map[string]any) []string {
	t.Helper()
	return analyzeStack(t, "dev", resources, config)
}

// analyzeStack is analyze for the stack of the name.
func analyzeStack(t *testing.T, stack string, resources []policyx.AnalyzerResource, config map[string]map[string]any) []string {
	t.Helper()
	return analyzeWith(t, NewPackWith("orderpipe", stack, embeddedIAM), resources, config)
}

// embeddedIAM is the pack's IAM data, loaded once for all tests; a test
// that changes the data loads a copy of its own.
var embeddedIAM = sync.OnceValues(iamdata.Load)

// analyzeWith runs the pack p.
func analyzeWith(t *testing.T, p *Pack, resources []policyx.AnalyzerResource, config map[string]map[string]any) []string {
	t.Helper()
	var out []string
	ctx := context.Background()
	policies := p.Policies()
	for _, r := range resources {
		for _, pol := range policies {
			if rp, ok := pol.(policyx.ResourceValidationPolicy); ok {
				err := rp.Validate(ctx, policyx.ResourceValidationArgs{
					Manager: recorder{pol.Name(), r.URN, &out}, Resource: r, Config: config[pol.Name()],
				})
				if err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for _, pol := range policies {
		if sp, ok := pol.(policyx.StackValidationPolicy); ok {
			if err := sp.Validate(ctx, policyx.StackValidationArgs{Manager: recorder{pol.Name(), "", &out}, Resources: resources}); err != nil {
				t.Fatal(err)
			}
		}
	}
	sort.Strings(out)
	return out
}

// only keeps the reports of the named policy.
func only(reports []string, policy string) []string {
	var out []string
	for _, r := range reports {
		if strings.HasPrefix(r, policy+" ") {
			out = append(out, r)
		}
	}
	return out
}

// res builds an analyzer resource; deps maps a property to the logical
// "type name" of the resources it depends on.
func res(typ, name string, props map[string]any, deps map[string][]string) policyx.AnalyzerResource {
	r := policyx.AnalyzerResource{Type: typ, Name: name, URN: urn(typ, name), Properties: toValue(props).AsMap(), PropertyDependencies: map[string][]string{}}
	for k, names := range deps {
		for _, n := range names {
			typ, n, _ := strings.Cut(n, " ")
			r.PropertyDependencies[k] = append(r.PropertyDependencies[k], urn(typ, n))
		}
	}
	return r
}

func urn(typ, name string) string { return "urn:pulumi:dev::orderpipe::" + typ + "::" + name }

func toValue(v any) property.Value {
	switch v := v.(type) {
	case property.Value:
		return v
	case nil:
		return property.Value{}
	case string:
		return property.New(v)
	case bool:
		return property.New(v)
	case int:
		return property.New(float64(v))
	case float64:
		return property.New(v)
	case []any:
		vs := make([]property.Value, len(v))
		for i, e := range v {
			vs[i] = toValue(e)
		}
		return property.New(property.NewArray(vs))
	case []string:
		vs := make([]property.Value, len(v))
		for i, e := range v {
			vs[i] = property.New(e)
		}
		return property.New(property.NewArray(vs))
	case map[string]any:
		m := make(map[string]property.Value, len(v))
		for k, e := range v {
			m[k] = toValue(e)
		}
		return property.New(property.NewMap(m))
	}
	panic(fmt.Sprintf("toValue: %T", v))
}
