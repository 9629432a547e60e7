package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// secureTransport is cdk-nag's SQS4 and SNS3. Advisory: a missing deny lets
// a caller use plain HTTP, which AWS's SDKs never do, so it hardens more
// than it fixes.
func (p *Pack) secureTransport() policyx.Policy {
	const name = "sqs-sns-secure-transport"
	return p.resourcePolicy(name,
		"Queue and topic policies deny requests without TLS (aws:SecureTransport false).",
		policyx.EnforcementLevelAdvisory, nil,
		func(r policyx.AnalyzerResource, _ map[string]any, m policyx.PolicyManager) {
			d, _, ok := p.accessPolicy(name, r, typeQueuePolicy, typeQueue, typeTopicPolicy, typeTopic)
			if !ok {
				return // sqs-sns-no-public-policy reports a policy that cannot be read
			}
			for _, st := range d.Statement {
				if st.Effect == "Deny" && slices.Contains(st.conditionValues("aws:SecureTransport"), "false") {
					return
				}
			}
			m.ReportViolation(fmt.Sprintf("%s policy does not deny requests without TLS; add a Deny statement with Condition {\"Bool\": {\"aws:SecureTransport\": \"false\"}}", r.Name), "")
		})
}

// redriveEverywhere is serverless-rules' "SQS queue has a DLQ" for every
// queue, not only those that feed a Lambda, and not those AWS sends
// failures to: every kind of dead-letter queue. Advisory: a queue another team
// consumes may handle its failures in its consumer.
func (p *Pack) redriveEverywhere() policyx.Policy {
	const name = "sqs-redrive-everywhere"
	return p.stackPolicy(name,
		"Every SQS queue that is not a dead-letter queue has a redrive policy.",
		policyx.EnforcementLevelAdvisory,
		func(g graph, m policyx.PolicyManager) {
			skip, decided := g.failureQueues()
			for _, pair := range g.deadLetterPairs(p, name) {
				skip[pair.dlq.URN] = true
			}
			for _, mq := range g.sqsMappings(p, name) {
				skip[mq.queue.URN] = true // sqs-queue-has-dlq's, and mandatory there
			}
			for _, q := range g.ofType(typeQueue) {
				if skip[q.URN] {
					continue
				}
				rd, ok := g.redriveOf(q)
				switch {
				case !ok:
					p.note(name, q, "whether it has a redrive policy is unknown until apply")
				case !rd.exists && !decided:
					p.note(name, q, "whether it is a dead-letter queue of a subscription, function or mapping is unknown until apply")
				case !rd.exists:
					m.ReportViolation(fmt.Sprintf("%s has no redrive policy and is no dead-letter queue (of a queue, SNS subscription, function or event source mapping); set redrivePolicy with a deadLetterTargetArn", q.Name), q.URN)
				}
			}
		})
}

// keyRotation is Pulumi AWSGuard's and Checkov's CKV_AWS_7. Mandatory:
// rotation of a key that can rotate costs nothing and breaks nothing. AWS
// rotates only symmetric encryption keys whose key material it generated
// and holds: not asymmetric or HMAC keys, not keys in a custom key store
// (CloudHSM or external), and not imported material (aws:kms/externalKey,
// another type).
func (p *Pack) keyRotation() policyx.Policy {
	const name = "kms-key-rotation"
	return p.resourcePolicy(name,
		"KMS keys that can rotate (symmetric, AWS-generated material, not in a custom key store) rotate (enableKeyRotation).",
		policyx.EnforcementLevelMandatory, nil,
		func(r policyx.AnalyzerResource, _ map[string]any, m policyx.PolicyManager) {
			if r.Type != "aws:kms/key:Key" {
				return
			}
			spec, sok := prop(r, "customerMasterKeySpec").str()
			store, cok := prop(r, "customKeyStoreId").str()
			xks, xok := prop(r, "xksKeyId").str()
			on, ok := prop(r, "enableKeyRotation").boolean()
			switch {
			case sok && spec != "" && spec != "SYMMETRIC_DEFAULT", cok && store != "", xok && xks != "":
				// cannot rotate, whatever else is unknown
			case !sok || !ok || !cok || !xok:
				p.note(name, r, "its key spec, key store or rotation is unknown until apply")
			case !on:
				m.ReportViolation(fmt.Sprintf("%s does not rotate its key material; set enableKeyRotation: true", r.Name), "")
			}
		})
}

// tracing: advisory, because tracing costs money per trace and a team may
// trace elsewhere.
func (p *Pack) tracing() policyx.Policy {
	const name = "lambda-tracing"
	return p.resourcePolicy(name,
		"Functions trace with X-Ray (tracingConfig.mode Active).",
		policyx.EnforcementLevelAdvisory, nil,
		func(r policyx.AnalyzerResource, _ map[string]any, m policyx.PolicyManager) {
			if r.Type != typeFunction {
				return
			}
			mode, ok := prop(r, "tracingConfig", "mode").str()
			switch {
			case !ok:
				p.note(name, r, "its tracing mode is unknown until apply")
			case !strings.EqualFold(mode, "Active"):
				m.ReportViolation(fmt.Sprintf("%s does not trace (tracingConfig.mode %q); set it to \"Active\"", r.Name, mode), "")
			}
		})
}
