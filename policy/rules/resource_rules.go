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
		"DynamoDB tables, and each replica of a global table, have point-in-time recovery on.",
		policyx.EnforcementLevelMandatory, nil,
		func(r policyx.AnalyzerResource, _ map[string]any, m policyx.PolicyManager) {
			switch r.Type {
			case typeTable:
				on, ok := prop(r, "pointInTimeRecovery", "enabled").boolean()
				switch {
				case !ok:
					p.note(name, r, "pointInTimeRecovery is unknown until apply")
				case !on:
					m.ReportViolation(fmt.Sprintf("%s has point-in-time recovery off; set pointInTimeRecovery.enabled: true", r.Name), "")
				}
				// PITR is a setting of each replica: the table's covers
				// only its own region.
				replicas := prop(r, "replicas")
				if replicas.unknown() && !replicas.v.IsArray() {
					p.note(name, r, "its replicas are unknown until apply")
					return
				}
				if !replicas.v.IsArray() {
					return
				}
				for i, e := range replicas.v.AsArray().AsSlice() {
					if !e.IsMap() {
						continue
					}
					region, _ := val{e.AsMap().Get("regionName")}.str()
					on, ok := val{e.AsMap().Get("pointInTimeRecovery")}.boolean()
					switch {
					case !ok:
						p.note(name, r, "replicas[%d]'s pointInTimeRecovery is unknown until apply", i)
					case !on:
						m.ReportViolation(fmt.Sprintf("%s replica in %s (replicas[%d]) has point-in-time recovery off; set its pointInTimeRecovery: true", r.Name, region, i), "")
					}
				}
			case "aws:dynamodb/tableReplica:TableReplica":
				on, ok := prop(r, "pointInTimeRecovery").boolean()
				switch {
				case !ok:
					p.note(name, r, "pointInTimeRecovery is unknown until apply")
				case !on:
					m.ReportViolation(fmt.Sprintf("%s has point-in-time recovery off; set pointInTimeRecovery: true", r.Name), "")
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
			data, err := p.iamData()
			if err != nil {
				m.ReportViolation(fmt.Sprintf("%s not checked: %v", r.Name, err), "")
				return
			}
			for i, st := range d.Statement {
				if st.Effect != "Allow" || st.confined(data) {
					continue
				}
				who := ""
				switch {
				case st.public():
					who = "everyone (Principal \"*\")"
				case len(st.NotPrincipal) > 0:
					who = "everyone but its NotPrincipal"
				default:
					continue
				}
				m.ReportViolation(fmt.Sprintf("%s policy statement %s allows %s %v with no condition that confines who calls to an account, organisation or ARN; name the principals, or add a condition such as aws:SourceArn with the topic's ARN or aws:SourceAccount", r.Name, st.label(i), who, []string(st.Action)), "")
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
