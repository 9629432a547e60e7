package rules

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/orderpipe/orderpipe/policy/iamdata"
)

// policyDocuments are the IAM policy documents a resource holds, by where.
func policyDocuments(r policyx.AnalyzerResource) (docs map[string]val) {
	docs = map[string]val{}
	switch r.Type {
	case typeRolePolicy, typeIAMPolicy, "aws:iam/userPolicy:UserPolicy", "aws:iam/groupPolicy:GroupPolicy":
		docs["policy"] = prop(r, "policy")
	case typeRole:
		inline := prop(r, "inlinePolicies")
		if inline.unknown() {
			docs["inlinePolicies"] = inline
			return docs
		}
		if !inline.v.IsArray() {
			return docs
		}
		for i, e := range inline.v.AsArray().AsSlice() {
			if e.IsMap() {
				docs[fmt.Sprintf("inlinePolicies[%d]", i)] = val{e.AsMap().Get("policy")}
			}
		}
	}
	return docs
}

// attachedPolicies are the managed policy ARNs a resource attaches.
func attachedPolicies(r policyx.AnalyzerResource) (arns []string, known bool) {
	switch r.Type {
	case typeRole:
		return prop(r, "managedPolicyArns").strings()
	case "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/userPolicyAttachment:UserPolicyAttachment",
		"aws:iam/groupPolicyAttachment:GroupPolicyAttachment", typePolicyAttachment:
		arn, ok := prop(r, "policyArn").str()
		if arn == "" {
			return nil, ok
		}
		return []string{arn}, ok
	}
	return nil, true
}

// grant is what one Allow statement grants, read against AWS's data.
type grant struct {
	patterns []string           // the statement's actions as written
	expanded [][]iamdata.Action // each pattern's actions
	known    []bool             // whether the data holds the pattern's service or action
}

func expand(d *iamdata.Data, st iamStatement, allowedActions []string) grant {
	var g grant
	for _, pattern := range st.Action {
		if slices.Contains(allowedActions, pattern) {
			continue
		}
		as, known := d.Expand(pattern)
		g.patterns = append(g.patterns, pattern)
		g.expanded = append(g.expanded, as)
		g.known = append(g.known, known)
	}
	return g
}

// actions are all the actions the statement grants.
func (g grant) actions() []iamdata.Action {
	seen := map[string]bool{}
	var out []iamdata.Action
	for _, as := range g.expanded {
		for _, a := range as {
			if !seen[a.String()] {
				seen[a.String()] = true
				out = append(out, a)
			}
		}
	}
	return out
}

// wholeServices are the services of which the actions hold every action.
func wholeServices(d *iamdata.Data, actions []iamdata.Action) []string {
	count := map[string]int{}
	for _, a := range actions {
		count[a.Service]++
	}
	var out []string
	for svc, n := range count {
		if s := d.Services[svc]; s != nil && n == len(s.Actions) {
			out = append(out, svc)
		}
	}
	sort.Strings(out)
	return out
}

// wideAction says why an action pattern grants too much: it names every
// action of a service, or actions of every service.
func wideAction(d *iamdata.Data, pattern string) (string, bool) {
	svc, _, _ := strings.Cut(pattern, ":")
	if pattern == "*" || strings.ContainsAny(svc, "*?") {
		return "actions of every service", true
	}
	as, _ := d.Expand(pattern)
	if whole := wholeServices(d, as); len(whole) > 0 && strings.ContainsAny(pattern, "*?") {
		return "every action of " + whole[0], true
	}
	return "", false
}

// resourceLevel are the statement's actions, as written, that take ARNs of
// some resource type, for which "*" is every resource. AWS's data gives the
// others no resource type, or one that a call may not involve at all (a
// single optional type, such as cloudwatch:PutMetricData's dataset): "*" is
// the only resource a policy can name for such calls. Two or more optional
// types are alternatives (s3:GetObject: an object or an access point's
// object), one of which every call involves. An action the data does not
// hold is taken to take ARNs.
func (g grant) resourceLevel() []string {
	var out []string
	for i, pattern := range g.patterns {
		var takes []string
		for _, a := range g.expanded[i] {
			if len(a.Required) > 0 || len(a.Optional) > 1 {
				takes = append(takes, a.String())
			}
		}
		switch {
		case !g.known[i], len(takes) == 1 && !strings.ContainsAny(pattern, "*?"):
			out = append(out, pattern)
		case len(takes) > 0:
			out = append(out, fmt.Sprintf("%s (%d of its actions, such as %s)", pattern, len(takes), takes[0]))
		}
	}
	return out
}

// everyResource says which resource type a resource pattern names every
// resource of, for one of the grant's actions: "dynamodb table".
func (g grant) everyResource(d *iamdata.Data, pattern string) (string, bool) {
	for _, as := range g.expanded {
		for _, a := range as {
			s := d.Services[a.Service]
			for _, t := range a.ResourceTypes() {
				if format, ok := s.ResourceTypes[t]; ok && iamdata.Covers(pattern, format) {
					return a.Service + " " + t, true
				}
			}
		}
	}
	return "", false
}

// judgeStatement returns what is wrong with an Allow statement of a policy
// the stack writes: a wildcard action that grants a whole service, a
// resource that is every resource of a type an action takes, "*" for an
// action that takes ARNs, and NotAction or NotResource.
func judgeStatement(d *iamdata.Data, st iamStatement, allowedActions, allowedResources []string) []string {
	var out []string
	for _, a := range st.Action {
		if why, wide := wideAction(d, a); wide && !slices.Contains(allowedActions, a) {
			out = append(out, fmt.Sprintf("allows the action %q, %s; list the exact actions it needs", a, why))
		}
	}
	g := expand(d, st, allowedActions)
	for _, res := range st.Resource {
		if slices.Contains(allowedResources, res) {
			continue
		}
		if res == "*" {
			if takes := g.resourceLevel(); len(takes) > 0 {
				out = append(out, fmt.Sprintf("allows the resource \"*\" for %s, which AWS's authorization data gives resource types; name the exact ARNs (\"*\" is for actions without any, such as xray:PutTraceSegments)", few(takes)))
			}
			continue
		}
		if what, every := g.everyResource(d, res); every {
			out = append(out, fmt.Sprintf("allows the resource %q, which is every %s; name the exact ARNs", res, what))
		}
	}
	if len(st.NotAction) > 0 || len(st.NotResource) > 0 {
		out = append(out, "allows with NotAction or NotResource, which grants everything else; list what it allows")
	}
	return out
}

// few lists up to three items and says how many more.
func few(items []string) string {
	if len(items) <= 3 {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:3], ", "), len(items)-3)
}

// broadManaged says why an AWS-managed policy, judged by its document,
// grants a whole service or more: an Allow with NotAction (everything but
// some actions), or every action of a service on every resource.
func broadManaged(d *iamdata.Data, doc iamDocument) (string, bool) {
	for _, st := range doc.Statement {
		if st.Effect != "Allow" {
			continue
		}
		if len(st.NotAction) > 0 {
			return fmt.Sprintf("every action but %s", few(st.NotAction)), true
		}
		whole := wholeServices(d, expand(d, st, nil).actions())
		if len(whole) == len(d.Services) && slices.Contains(st.Resource, "*") {
			return "every action of every service on every resource", true
		}
		var broad []string
		for _, svc := range whole {
			if everyOfService(d.Services[svc], st.Resource) {
				broad = append(broad, svc)
			}
		}
		if len(broad) > 0 {
			return "every action of " + few(broad) + " on every resource", true
		}
	}
	return "", false
}

// everyOfService reports whether resources hold "*" or name every resource
// of each of the service's resource types.
func everyOfService(s *iamdata.Service, resources []string) bool {
	if slices.Contains(resources, "*") {
		return true
	}
	for _, format := range s.ResourceTypes {
		if !slices.ContainsFunc(resources, func(r string) bool { return iamdata.Covers(r, format) }) {
			return false
		}
	}
	return len(s.ResourceTypes) > 0
}

func (p *Pack) leastPrivilege() policyx.Policy {
	const name = "iam-least-privilege"
	return p.resourcePolicy(name,
		"IAM policies grant exact actions on exact resources, and no AWS-managed policy grants a whole service.",
		policyx.EnforcementLevelMandatory,
		&policyx.ConfigSchema{Properties: map[string]map[string]any{
			"allowedActions":   {"type": "array", "items": map[string]any{"type": "string"}, "default": []any{}, "description": "wildcard actions (or AWS-managed policy ARNs) that are allowed anyway, written exactly as in the policy"},
			"allowedResources": {"type": "array", "items": map[string]any{"type": "string"}, "default": []any{}, "description": "wildcard resources that are allowed anyway, written exactly as in the policy"},
		}},
		func(r policyx.AnalyzerResource, config map[string]any, m policyx.PolicyManager) {
			arns, known := attachedPolicies(r)
			docs := policyDocuments(r)
			if len(arns) == 0 && len(docs) == 0 && known {
				return
			}
			d, err := p.iamData()
			if err != nil {
				m.ReportViolation(fmt.Sprintf("%s not checked: %v", r.Name, err), "")
				return
			}
			allowedActions, _ := config["allowedActions"].([]any)
			allowedResources, _ := config["allowedResources"].([]any)
			if !known {
				p.note(name, r, "the policies it attaches are unknown until apply")
			}
			for _, arn := range arns {
				if slices.Contains(toStrings(allowedActions), arn) {
					continue
				}
				raw, ok := d.Managed[arn]
				if !ok {
					if strings.HasPrefix(arn, "arn:aws:iam::aws:policy/") {
						p.note(name, r, "%s is not in the pack's AWS data (%s); refresh it", arn, dataVersion())
					}
					continue
				}
				var doc iamDocument
				if err := doc.UnmarshalJSON(raw); err != nil {
					continue
				}
				if why, broad := broadManaged(d, doc); broad {
					m.ReportViolation(fmt.Sprintf("%s attaches %s, which grants %s; attach a policy of the exact actions and ARNs it needs", r.Name, arn, why), "")
				}
			}
			for where, doc := range docs {
				var dd iamDocument
				present, known, err := doc.jsonDoc(&dd)
				switch {
				case !known:
					p.note(name, r, "its %s is unknown until apply", where)
					continue
				case !present:
					continue
				case err != nil:
					m.ReportViolation(fmt.Sprintf("%s %s cannot be read as an IAM policy document: %v", r.Name, where, jsonProblem(err)), "")
					continue
				}
				for i, st := range dd.Statement {
					if st.Effect != "Allow" {
						continue
					}
					for _, problem := range judgeStatement(d, st, toStrings(allowedActions), toStrings(allowedResources)) {
						m.ReportViolation(fmt.Sprintf("%s %s statement %s %s", r.Name, where, st.label(i), problem), "")
					}
				}
			}
		})
}

// dataVersion names the data the IAM reasoning reads.
func dataVersion() string {
	var out []string
	for _, s := range iamdata.Sources() {
		out = append(out, s.Package+" "+s.Version+" of "+s.Date)
	}
	return strings.Join(out, ", ")
}
