package rules

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

func (p *Pack) resourcePolicy(name, description string, level policyx.EnforcementLevel, schema *policyx.ConfigSchema,
	check func(r policyx.AnalyzerResource, config map[string]any, m policyx.PolicyManager)) policyx.Policy {
	return policyx.NewResourceValidationPolicy(name, policyx.ResourceValidationPolicyArgs{
		Description:      description,
		EnforcementLevel: level,
		ConfigSchema:     schema,
		ValidateResource: func(_ context.Context, args policyx.ResourceValidationArgs) error {
			check(args.Resource, args.Config, args.Manager)
			return nil
		},
	})
}

func (p *Pack) encryptionAtRest() policyx.Policy {
	const name = "encryption-at-rest"
	return p.resourcePolicy(name,
		"SQS queues and SNS topics are encrypted at rest.",
		policyx.EnforcementLevelMandatory, nil,
		func(r policyx.AnalyzerResource, _ map[string]any, m policyx.PolicyManager) {
			var encrypted, known bool
			var fix string
			switch r.Type {
			case typeQueue:
				setting := prop(r, "sqsManagedSseEnabled")
				sse, sok := setting.boolean()
				key, kok := prop(r, "kmsMasterKeyId").str()
				switch {
				case kok && key != "":
					encrypted, known = true, true
				case sok && kok:
					encrypted, known = sse || setting.absent(), true
				}
				fix = "set sqsManagedSseEnabled: true (or leave it unset) or a kmsMasterKeyId"
			case typeTopic:
				key, ok := prop(r, "kmsMasterKeyId").str()
				encrypted, known = key != "", ok
				fix = "set kmsMasterKeyId to a customer managed key whose policy admits every service that publishes to the topic"
			default:
				return
			}
			switch {
			case !known:
				p.note(name, r, "its encryption settings are unknown until apply")
			case !encrypted:
				m.ReportViolation(fmt.Sprintf("%s (%s) is not encrypted at rest; %s", r.Name, r.Type, fix), "")
			}
		})
}

func (p *Pack) pointInTimeRecovery() policyx.Policy {
	const name = "dynamodb-pitr"
	return p.resourcePolicy(name,
		"DynamoDB tables have point-in-time recovery on.",
		policyx.EnforcementLevelMandatory, nil,
		func(r policyx.AnalyzerResource, _ map[string]any, m policyx.PolicyManager) {
			if r.Type != typeTable {
				return
			}
			on, ok := prop(r, "pointInTimeRecovery", "enabled").boolean()
			switch {
			case !ok:
				p.note(name, r, "pointInTimeRecovery is unknown until apply")
			case !on:
				m.ReportViolation(fmt.Sprintf("%s has point-in-time recovery off; set pointInTimeRecovery.enabled: true", r.Name), "")
			}
		})
}

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

// withoutResourceLevel are actions that "*" may be given: those AWS documents
// with no resource-level permissions, where "*" is the only resource a policy
// can name, and the grant of AWS's own AWSLambdaBasicExecutionRole, which
// passes when attached and so passes written out too.
var withoutResourceLevel = []string{
	"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets",
	"xray:GetSamplingStatisticSummaries", "cloudwatch:PutMetricData", "sts:GetCallerIdentity",
	"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
}

// wildcardResource reports whether an ARN names every resource of a kind:
// "*", or an ARN whose resource part is "*", "*:*" or "<type>/*", such as
// arn:aws:sqs:*:*:* or arn:aws:dynamodb:eu-west-1:1:table/*.
func wildcardResource(res string) bool {
	if res == "*" {
		return true
	}
	parts := strings.SplitN(res, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return false
	}
	rest := parts[5]
	_, afterType, typed := strings.Cut(rest, "/")
	return rest == "*" || rest == "*:*" || typed && afterType == "*" && !strings.Contains(rest, ":")
}

// broadManaged reports whether a policy ARN is one of AWS's managed policies
// that grant a whole service or more: AdministratorAccess, PowerUserAccess,
// IAMFullAccess and every …FullAccess.
func broadManaged(arn string) bool {
	name, ok := strings.CutPrefix(arn[strings.Index(arn, ":iam::")+1:], "iam::aws:policy/")
	if !ok || !strings.HasPrefix(arn, "arn:") {
		return false
	}
	name = name[strings.LastIndex(name, "/")+1:]
	return name == "AdministratorAccess" || name == "PowerUserAccess" || strings.HasSuffix(name, "FullAccess")
}

// attachedPolicies are the managed policy ARNs a resource attaches.
func attachedPolicies(r policyx.AnalyzerResource) (arns []string, known bool) {
	switch r.Type {
	case typeRole:
		return prop(r, "managedPolicyArns").strings()
	case "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/userPolicyAttachment:UserPolicyAttachment",
		"aws:iam/groupPolicyAttachment:GroupPolicyAttachment", "aws:iam/policyAttachment:PolicyAttachment":
		arn, ok := prop(r, "policyArn").str()
		if arn == "" {
			return nil, ok
		}
		return []string{arn}, ok
	}
	return nil, true
}

func allWithoutResourceLevel(actions []string) bool {
	for _, a := range actions {
		if !slices.Contains(withoutResourceLevel, a) {
			return false
		}
	}
	return len(actions) > 0
}

func (p *Pack) leastPrivilege() policyx.Policy {
	const name = "iam-least-privilege"
	return p.resourcePolicy(name,
		"IAM policies grant exact actions on exact resources, and no AWS-managed policy grants a whole service.",
		policyx.EnforcementLevelMandatory,
		&policyx.ConfigSchema{Properties: map[string]map[string]any{
			"allowedActions":   {"type": "array", "items": map[string]any{"type": "string"}, "default": []any{}, "description": "wildcard actions that are allowed anyway, written exactly as in the policy"},
			"allowedResources": {"type": "array", "items": map[string]any{"type": "string"}, "default": []any{}, "description": "wildcard resources that are allowed anyway, written exactly as in the policy"},
		}},
		func(r policyx.AnalyzerResource, config map[string]any, m policyx.PolicyManager) {
			allowedActions, _ := config["allowedActions"].([]any)
			allowedResources, _ := config["allowedResources"].([]any)
			arns, known := attachedPolicies(r)
			if !known {
				p.note(name, r, "the policies it attaches are unknown until apply")
			}
			for _, arn := range arns {
				if broadManaged(arn) && !slices.Contains(toStrings(allowedActions), arn) {
					m.ReportViolation(fmt.Sprintf("%s attaches %s, which grants a whole service or more; attach a policy of the exact actions and ARNs it needs", r.Name, arn), "")
				}
			}
			for where, doc := range policyDocuments(r) {
				var d iamDocument
				present, known, err := doc.jsonDoc(&d)
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
				for i, st := range d.Statement {
					if st.Effect != "Allow" {
						continue
					}
					sid := st.label(i)
					for _, a := range st.Action {
						if (a == "*" || strings.HasSuffix(a, ":*")) && !slices.Contains(toStrings(allowedActions), a) {
							m.ReportViolation(fmt.Sprintf("%s %s statement %s allows the action %q; list the exact actions it needs", r.Name, where, sid, a), "")
						}
					}
					for _, res := range st.Resource {
						if wildcardResource(res) && !slices.Contains(toStrings(allowedResources), res) && !allWithoutResourceLevel(st.Action) {
							m.ReportViolation(fmt.Sprintf("%s %s statement %s allows the resource %q; name the exact ARNs", r.Name, where, sid, res), "")
						}
					}
					if len(st.NotAction) > 0 || len(st.NotResource) > 0 {
						m.ReportViolation(fmt.Sprintf("%s %s statement %s allows with NotAction or NotResource, which grants everything else; list what it allows", r.Name, where, sid), "")
					}
				}
			}
		})
}

const (
	typeTopicPolicy = "aws:sns/topicPolicy:TopicPolicy"
)

// accessPolicy reads the access policy of a resource of one of types (a
// queue or topic, or a policy resource of one). ok is false when there is
// nothing to check: another type, no policy, or one unknown until apply
// (noted for the policy). A policy that cannot be read is readErr.
func (p *Pack) accessPolicy(policy string, r policyx.AnalyzerResource, types ...string) (d iamDocument, readErr error, ok bool) {
	if !slices.Contains(types, r.Type) {
		return d, nil, false
	}
	present, known, err := prop(r, "policy").jsonDoc(&d)
	switch {
	case !known:
		p.note(policy, r, "its policy is unknown until apply")
		return d, nil, false
	case !present:
		return d, nil, false
	case err != nil:
		return d, jsonProblem(err), false
	}
	return d, nil, true
}

// noPublicPolicy is Checkov's CKV_AWS_168 (SQS) and CKV_AWS_169 (SNS):
// mandatory, because a queue or topic anyone may use is a way in for
// forged orders and a way out for real ones.
func (p *Pack) noPublicPolicy() policyx.Policy {
	const name = "sqs-sns-no-public-policy"
	return p.resourcePolicy(name,
		"No queue or topic policy allows everyone without a condition on the caller.",
		policyx.EnforcementLevelMandatory, nil,
		func(r policyx.AnalyzerResource, _ map[string]any, m policyx.PolicyManager) {
			d, readErr, ok := p.accessPolicy(name, r, typeQueuePolicy, typeQueue, typeTopicPolicy, typeTopic)
			if readErr != nil {
				m.ReportViolation(fmt.Sprintf("%s policy cannot be read: %v", r.Name, readErr), "")
			}
			if !ok {
				return
			}
			for i, st := range d.Statement {
				if st.Effect == "Allow" && st.public() && !st.scoped() {
					m.ReportViolation(fmt.Sprintf("%s policy statement %s allows everyone (Principal \"*\") %v with no condition on who calls; name the principals or add a condition such as aws:SourceArn", r.Name, st.label(i), []string(st.Action)), "")
				}
			}
		})
}

func (p *Pack) queuePolicyScoped() policyx.Policy {
	const name = "sqs-sns-queue-policy-scoped"
	return p.resourcePolicy(name,
		"A queue policy that lets SNS send names the topic in aws:SourceArn.",
		policyx.EnforcementLevelMandatory, nil,
		func(r policyx.AnalyzerResource, _ map[string]any, m policyx.PolicyManager) {
			d, _, ok := p.accessPolicy(name, r, typeQueuePolicy, typeQueue)
			if !ok {
				return // sqs-sns-no-public-policy reports a policy that cannot be read
			}
			for i, st := range d.Statement {
				if st.Effect != "Allow" || !slices.Contains(st.servicePrincipals(), "sns.amazonaws.com") {
					continue
				}
				sid := st.label(i)
				arns := st.conditionValues("aws:SourceArn")
				if len(arns) == 0 {
					m.ReportViolation(fmt.Sprintf("%s statement %s lets sns.amazonaws.com send without an aws:SourceArn condition; add ArnEquals aws:SourceArn with the topic's ARN", r.Name, sid), "")
				}
				for _, arn := range arns {
					if strings.Contains(arn, "*") || strings.Contains(arn, "?") {
						m.ReportViolation(fmt.Sprintf("%s statement %s lets sns.amazonaws.com send from aws:SourceArn %q, which matches topics of others too; name the topic's ARN", r.Name, sid, arn), "")
					}
				}
			}
		})
}
