package rules

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/orderpipe/orderpipe/policy/corpus"
	"github.com/orderpipe/orderpipe/stack/stacktest"
)

// corpusResources runs a program under mocks, as after an update, as the
// stack of the name.
func corpusResources(t *testing.T, stack string, program pulumi.RunFunc) []policyx.AnalyzerResource {
	t.Helper()
	mocks := &providerMocks{&stacktest.Mocks{Project: "team", Stack: stack}}
	if err := pulumi.RunErr(program, pulumi.WithMocks("team", stack, mocks)); err != nil {
		t.Fatal(err)
	}
	var out []policyx.AnalyzerResource
	for _, r := range mocks.Resources() {
		out = append(out, policyx.AnalyzerResource{
			Type: r.Type, Name: r.Name, URN: r.URN, Parent: r.Parent, Dependencies: r.Dependencies,
			PropertyDependencies: r.PropertyDependencies, Properties: resource.FromResourcePropertyMap(r.Outputs),
		})
	}
	return out
}

// firstPreview is what a first preview gives the pack of the same
// resources: what AWS assigns at create time (ids, ARNs, URLs) is unknown,
// and so is every property built from one of them.
func firstPreview(rs []policyx.AnalyzerResource) []policyx.AnalyzerResource {
	var assigned []string
	for _, r := range rs {
		for _, k := range []string{"arn", "url", "id"} {
			if v := prop(r, k).v; v.IsString() && v.AsString() != "" {
				assigned = append(assigned, v.AsString())
			}
		}
	}
	out := make([]policyx.AnalyzerResource, len(rs))
	for i, r := range rs {
		m := map[string]property.Value{}
		for k, v := range r.Properties.All {
			switch {
			case k == "arn" || k == "url" || k == "id":
				m[k] = unknown
			case mentions(v, assigned):
				m[k] = unknown
			default:
				m[k] = v
			}
		}
		r.Properties = property.NewMap(m)
		out[i] = r
	}
	return out
}

func mentions(v property.Value, values []string) bool {
	switch {
	case v.IsString():
		return slices.ContainsFunc(values, func(s string) bool { return strings.Contains(v.AsString(), s) })
	case v.IsArray():
		return slices.ContainsFunc(v.AsArray().AsSlice(), func(e property.Value) bool { return mentions(e, values) })
	case v.IsMap():
		for _, e := range v.AsMap().All {
			if mentions(e, values) {
				return true
			}
		}
	}
	return false
}

// mandatory are the mandatory verdicts of reports, "policy Resource".
func mandatory(reports []string) []string {
	levels := map[string]bool{}
	for _, pol := range (&Pack{settings: DefaultSettings()}).Policies() {
		levels[pol.Name()] = pol.EnforcementLevel() == policyx.EnforcementLevelMandatory
	}
	var out []string
	for _, r := range reports {
		policy, rest, _ := strings.Cut(r, " [")
		res, _, _ := strings.Cut(rest, "]")
		if levels[policy] {
			out = append(out, policy+" "+res)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// Every program of the corpus gets its verdicts, with every value known as
// after an update, and as a first preview sees it, with every id, ARN and
// URL unknown: no verdict the update would not give, and every verdict it
// cannot give yet deferred, not passed.
func TestCorpus(t *testing.T) {
	programs := corpus.Programs()
	if len(programs) < 60 {
		t.Errorf("the corpus holds %d programs; keep at least 60", len(programs))
	}
	for _, c := range programs {
		t.Run(c.Name, func(t *testing.T) { checkProgram(t, c, "dev") })
	}
}

// checkProgram runs the program as after an update and as a first preview
// as the stack of the name, and compares the pack's mandatory verdicts with
// the program's.
func checkProgram(t *testing.T, c corpus.Program, stack string) {
	t.Helper()
	known := corpusResources(t, stack, c.Run)
	want := append([]string(nil), c.Want...)
	sort.Strings(want)
	got := mandatory(analyzeStack(t, stack, known, nil))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("after an update:\n got %q\nwant %q", got, want)
	}

	// A first preview gives no verdict the update would not, and every
	// verdict it cannot give yet is deferred, not passed.
	reports := analyzeStack(t, stack, firstPreview(known), nil)
	early := mandatory(reports)
	deferred := strings.Join(only(reports, "preview-unknowns"), "\n")
	for _, v := range early {
		if !slices.Contains(want, v) {
			t.Errorf("first preview: %s, which the update does not say", v)
		}
	}
	for _, v := range want {
		policy, _, _ := strings.Cut(v, " ")
		if !slices.Contains(early, v) && !strings.Contains(deferred, policy+":") {
			t.Errorf("first preview: %s neither said nor deferred (deferred: %s)", v, deferred)
		}
	}
}
